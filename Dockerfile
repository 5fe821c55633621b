# paperbot: a small image that runs the bot; the bundled snapshot works offline.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PAPERBOT_DATABASE_URL=sqlite:////data/paperbot.sqlite3

RUN useradd --create-home --uid 10001 paperbot \
    && mkdir /data && chown paperbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
RUN pip install '.[all]'

USER paperbot
VOLUME ["/data"]
ENTRYPOINT ["paperbot"]
CMD ["trending"]
