# The operator's image: `make image IMAGE=registry.example.com/external-dns-kopf:0.1.0` (or `docker build`;
# BuildKit, the default since Docker 23). No `# syntax=` line: it makes BuildKit fetch a frontend from Docker
# Hub, and the built-in frontend already understands `RUN --mount`.
#
# PYTHON_IMAGE picks the base; a local stand-in works too (`make image PYTHON_IMAGE=local/python:3.11-bookworm`,
# as the image tests do where Docker Hub cannot be reached).
#
# The base is pinned by its exact tag. To pin it by content as well, append the digest the registry reports:
#   docker buildx imagetools inspect python:3.11.14-slim-bookworm   # prints "Digest: sha256:..."
#   FROM python:3.11.14-slim-bookworm@sha256:<digest>
# (both stages, then let Renovate/Dependabot bump tag and digest together).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# Stage 1: build the operator's wheel, and fetch the locked dependencies, checking every file's hash.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY operator/ operator/
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && pip download --require-hashes --no-deps --only-binary=:all: --dest /wheels -r requirements.lock

# Stage 2: the runtime. Only Python, the locked wheels and the operator; no compiler, no build tools.
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# A named user for uid 65532: Kopf's peering identity calls getpass.getuser(), which fails for a uid without a
# passwd entry (the Deployment also sets POD_ID, which takes precedence).
RUN groupadd --system --gid 65532 external-dns \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin external-dns
# The wheels are bind-mounted from the build stage, so they never land in a layer of this image.
# botocore ships the API models of every AWS service (most of the dependency layer); the operator talks to
# Route 53 only, and to STS and SSO for credentials (IRSA, assume-role, profiles), so the other models are
# deleted in the same layer (a later layer could only hide them, not shrink the image); so are type stubs.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements.lock,target=/tmp/requirements.lock \
    pip install --no-cache-dir --no-index --find-links /wheels --require-hashes --no-deps \
      -r /tmp/requirements.lock \
 && pip install --no-cache-dir --no-index --no-deps /wheels/external_dns_kopf-*.whl \
 && pip check \
 && site=$(python -c "import botocore, os; print(os.path.dirname(os.path.dirname(botocore.__file__)))") \
 && find "$site/botocore/data" -mindepth 1 -maxdepth 1 -type d \
      ! -name route53 ! -name sts ! -name sso ! -name sso-oidc -exec rm -rf {} + \
 && find "$site" -name '*.pyi' -delete
USER 65532:65532
EXPOSE 7979
# Liveness for `docker run`; in Kubernetes the Deployment's probes (GET /healthz, /readyz) are used instead.
# Exec form: no shell is needed at runtime.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:7979/healthz', timeout=4)"]
# Standalone or peering is chosen by the operator itself from --peering; flags follow as CMD/args.
ENTRYPOINT ["external-dns"]
CMD ["--help"]
