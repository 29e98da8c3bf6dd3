# syntax=docker/dockerfile:1
# Two targets from one file:
#   flows  Prefect + prefect-azure + the training stack: what the ACI work pool runs
#   serve  onnxruntime + Litestar only: what Azure Container Apps runs
# The tag pins Python and Debian; for a byte-identical base, pass the tag with its digest
# (--build-arg PYTHON_IMAGE=python:3.11.7-slim-bookworm@sha256:<digest>, docs/deployment.md).
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# the user's home is the working folder, and it is theirs: WORKDIR would create it owned by root,
# and COPY --chown owns only what it copies, so ~/.prefect and a relative data/ could not be made
RUN groupadd --system --gid 10001 dart && useradd --system --uid 10001 --gid dart --home /opt/ercot-dart dart \
    && install -d -o dart -g dart /opt/ercot-dart
WORKDIR /opt/ercot-dart

# Dependency layers are built from pyproject.toml alone, so code changes do not rebuild them.
FROM base AS deps-serve
COPY pyproject.toml README.md ./
# versions are bounded in pyproject.toml (DL3013 wants each pin on this line)
# hadolint ignore=DL3013
RUN mkdir -p ercot_dart && touch ercot_dart/__init__.py \
    && pip install --prefix=/install '.[serve]' \
    && rm -rf /install/lib/python3.11/site-packages/ercot_dart*

FROM base AS deps-flows
RUN apt-get update && apt-get install -y --no-install-recommends unixodbc=2.3.11-2+deb12u1 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
# One resolution, torch from PyTorch's CPU index: pip does not count /install as installed, so a
# second `pip install '.[train]'` would fetch PyPI's torch==2.13.0, the CUDA build with its
# nvidia-* wheels (gigabytes). `+cpu` exists on the CPU index only and satisfies the extra's
# torch==2.13.0. The rest resolves from PyPI (the CPU index also hosts copies of a few of torch's
# own dependencies, which pip may take from there). Keep the pin equal to pyproject.toml's
# (tests/infra/test_dockerfile.py checks both).
# hadolint ignore=DL3013
RUN mkdir -p ercot_dart && touch ercot_dart/__init__.py \
    && pip install --prefix=/install --extra-index-url https://download.pytorch.org/whl/cpu \
       'torch==2.13.0+cpu' '.[flows,train,azure]' \
    && rm -rf /install/lib/python3.11/site-packages/ercot_dart*

FROM base AS serve
COPY --from=deps-serve /install /usr/local
COPY --chown=dart:dart . .
RUN pip install --no-deps .
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"]
CMD ["ercot-dart", "serve", "--host", "0.0.0.0", "--port", "8000"]

FROM base AS flows
# unixODBC and Microsoft's ODBC Driver 18 for SQL Server: mssql+pyodbc, with managed-identity
# sign-in (Authentication=ActiveDirectoryMsi). msodbcsql18 comes from Microsoft's own repository.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends unixodbc=2.3.11-2+deb12u1 ca-certificates curl gnupg \
    && curl -fsSL https://packages.microsoft.com/keys/microsoft.asc \
       | gpg --dearmor -o /usr/share/keyrings/microsoft-prod.gpg \
    && echo "deb [arch=amd64 signed-by=/usr/share/keyrings/microsoft-prod.gpg] https://packages.microsoft.com/debian/12/prod bookworm main" \
       > /etc/apt/sources.list.d/mssql-release.list \
    && apt-get update \
    && ACCEPT_EULA=Y apt-get install -y --no-install-recommends msodbcsql18 \
    && apt-get purge -y curl gnupg && apt-get autoremove -y \
    && rm -rf /var/lib/apt/lists/*
COPY --from=deps-flows /install /usr/local
COPY --chown=dart:dart . .
RUN pip install --no-deps .
USER 10001:10001
HEALTHCHECK NONE
CMD ["prefect", "version"]
