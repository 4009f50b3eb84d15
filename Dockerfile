# orgql gateway image: `docker compose up` (README "Run with Docker Compose").
# Two stages: the build stage installs orgql and its dependencies into a virtualenv; the
# runtime stage copies only that virtualenv onto a slim Python and runs as a non-root user.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY src ./src
# A wheel build: it fetches GraphiQL's scripts and styles from the npm registry into the
# package (setup.py), so the page works on networks without access to public CDNs. Without
# the `embedded` extra: the image uses ORGQL_DATABASE_URL, never an embedded PostgreSQL.
RUN python -m venv /opt/orgql && /opt/orgql/bin/pip install .

FROM python:3.11-slim AS runtime
RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home orgql
COPY --from=build /opt/orgql /opt/orgql
# Production by default: it needs a signing key (ORGQL_AUTH_SIGNING_KEY_FILE, a secret) and
# refuses to start without one; the development profile would refuse 0.0.0.0 anyway.
ENV PATH=/opt/orgql/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ORGQL_ENVIRONMENT=production \
    ORGQL_HOST=0.0.0.0 \
    ORGQL_PORT=8080 \
    ORGQL_LOG_FORMAT=json
USER 10001:10001
WORKDIR /app
EXPOSE 8080
# Liveness only: readiness (/readyz) is the orchestrator's business (see docker-compose.yml).
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
# uvicorn finishes in-flight requests on SIGTERM (ORGQL_SHUTDOWN_TIMEOUT_SECONDS).
STOPSIGNAL SIGTERM
CMD ["orgql", "serve"]
