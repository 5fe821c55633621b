# syntax=docker/dockerfile:1
# paperbot: a small image that runs the bot; the bundled snapshot works offline.
#
# Two stages. The builder makes wheels: first of every dependency, from pyproject.toml
# alone (so a change to the code reuses that layer), then of paperbot. The final stage
# installs both from the builder's wheels, mounted rather than copied (no wheel stays in
# the image), and has no compiler.

FROM python:3.11.17-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A compiler, for a dependency that has no wheel for this platform.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Wheels of every dependency of paperbot[all]: pip resolves them from pyproject.toml
# and an empty stand-in of the code, whose own wheel is thrown away.
COPY pyproject.toml ./
RUN mkdir bot adapters \
    && touch README.md bot/__init__.py adapters/__init__.py \
    && pip wheel --wheel-dir /wheels '.[all]' \
    && rm /wheels/paperbot-*.whl \
    && rm -r README.md bot adapters

# Then paperbot's own wheel, from the code.
COPY README.md ./
COPY bot ./bot
COPY adapters ./adapters
RUN pip wheel --no-deps --wheel-dir /dist .


FROM python:3.11.17-slim-bookworm

# PAPERBOT_HEALTH_URL is read by the HEALTHCHECK below only: set it to a running bot's
# address (http://127.0.0.1:3000) and the check asks that bot too.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PAPERBOT_DATABASE_URL=sqlite:////data/paperbot.sqlite3 \
    PAPERBOT_HEALTH_URL=""

RUN useradd --create-home --uid 10001 paperbot \
    && mkdir /data && chown paperbot /data

# The dependencies first (this layer stays while only the code changes), then paperbot.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index /wheels/*.whl
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    --mount=type=bind,from=builder,source=/dist,target=/dist \
    pip install --no-index --find-links=/wheels --find-links=/dist 'paperbot[all]'

USER paperbot
VOLUME ["/data"]
# Slack's HTTP mode (POST /slack/events, GET /health); `--health-port 3000` for the rest.
EXPOSE 3000
# The database always; the bot too when PAPERBOT_HEALTH_URL names it. The first start
# loads the bundled snapshot and connects to the platform: give it a minute.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD paperbot health ${PAPERBOT_HEALTH_URL:+--url "$PAPERBOT_HEALTH_URL"}
ENTRYPOINT ["paperbot"]
CMD ["trending"]
