"""The Slack adapter: slack-bolt's AsyncApp, Block Kit replies, daily posts and DM digests."""

from adapters.slack.app import SlackBot, build_slack, run_slack, serve_http
from adapters.slack.outbound import SlackOutbound
from adapters.slack.render import render_reply

__all__ = ["SlackBot", "SlackOutbound", "build_slack", "render_reply", "run_slack", "serve_http"]
