# syntax=docker/dockerfile:1
#
# Production image of chengyun: one process serving HTTP and WebSocket (uvicorn with uvloop
# and httptools, as `chengyun serve` runs it). Scale out by running more containers behind a
# load balancer with CHENGYUN_DATABASE_URL (PostgreSQL) and CHENGYUN_REDIS_URL set; see
# docs/operations.md.
#
#   docker build -t chengyun .
#   docker run --rm -v chengyun-data:/data -e CHENGYUN_SECRET_KEY=... chengyun chengyun migrate
#   docker run -d -p 8000:8000 -v chengyun-data:/data -e CHENGYUN_SECRET_KEY=... chengyun
#
# A demo container (demo logins, refused in production, so the environment is switched):
#   docker run --rm -p 8000:8000 -e CHENGYUN_ENV=development chengyun \
#       chengyun serve --demo --host 0.0.0.0 --port 8000

# Both stages use the same base so the venv's interpreter path (/usr/local/bin/python3.11)
# exists unchanged in the runtime stage.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

# Every dependency ships manylinux wheels for CPython 3.11 (asyncpg, uvloop, httptools,
# shapely, pillow, pillow-heif, argon2-cffi, grpcio, cryptography), so no compiler is needed.
RUN python -m venv /opt/chengyun \
 && /opt/chengyun/bin/pip install --upgrade pip setuptools wheel

WORKDIR /src

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when the pinned
# libraries change, not on every code change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && /opt/chengyun/bin/pip install -r /tmp/requirements.txt

# Then the project itself, as a wheel (a plain install, not editable: the runtime stage has
# no source tree). Migrations and the holiday calendar travel as package data.
COPY README.md ./
COPY schemas ./schemas
COPY media ./media
COPY push ./push
COPY backend ./backend
RUN /opt/chengyun/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/chengyun/bin/pip install --no-deps /wheels/chengyun-*.whl \
 && /opt/chengyun/bin/chengyun --help > /dev/null

# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# The watermark burned into `display` photos shows Chinese addresses; without a CJK font
# they render as boxes. WenQuanYi Zen Hei is ~10 MB against ~60 MB for Noto CJK.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
 && rm -rf /var/lib/apt/lists/*

# A fixed uid/gid so a host directory mounted at /data can be chowned to match.
RUN groupadd --system --gid 10001 chengyun \
 && useradd --system --uid 10001 --gid chengyun --home-dir /data --shell /usr/sbin/nologin chengyun \
 && mkdir -p /data \
 && chown chengyun:chengyun /data

COPY --from=builder /opt/chengyun /opt/chengyun

# Production by default: the server then refuses the demo secret and demo passwords, so a
# forgotten CHENGYUN_SECRET_KEY stops the container instead of going live with the demo one.
ENV PATH=/opt/chengyun/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CHENGYUN_ENV=production \
    CHENGYUN_DATA_DIR=/data \
    CHENGYUN_FONT_PATH=/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc

# The embedded SQLite database and the local media store live here (unless
# CHENGYUN_DATABASE_URL / CHENGYUN_MEDIA_DIR point elsewhere).
VOLUME ["/data"]
WORKDIR /data
USER chengyun

EXPOSE 8000

# Readiness, not liveness: database and media store reachable. urlopen raises on a 503, so
# any failure exits non-zero; no curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health/ready', timeout=4)"]

# `serve` does not migrate: run `chengyun migrate` once per release (see the header), so
# several replicas never race on the schema. uvicorn finishes in-flight requests for up to
# 10 s on SIGTERM: give `docker stop` a little more (--stop-timeout 15).
CMD ["chengyun", "serve", "--host", "0.0.0.0", "--port", "8000"]
