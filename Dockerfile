# syntax=docker/dockerfile:1
# The keeper as a container: `docker build -t chimera-keeper .` then compose.yaml (docs/operations.md).
#
# Two stages. `build` installs the runtime dependencies only (npm ci --omit=dev: package.json's
# `dependencies` hold everything the keeper and the tasks load; test and lint tools are dev-only),
# builds better-sqlite3 from source (no prebuilt binary is reachable offline) and compiles the
# contracts with the npm solc (no compiler download). `runtime` is the same Node base without
# compilers, running as an unprivileged user; everything it writes lives in /var/lib/chimera.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/chimera
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY hardhat.config.ts tsconfig.json ./
COPY contracts ./contracts
COPY ignition ./ignition
COPY keeper ./keeper
COPY sandbox ./sandbox
COPY tasks ./tasks
# hardhat.config.ts reads the fork tests' pinned block; nothing else of test/ is in the image.
COPY test/fork/pinned-block.ts ./test/fork/pinned-block.ts
# Artifacts and TypeChain bindings, generated here so the read-only code needs no compiler at run time.
RUN npx hardhat compile --quiet

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOME=/var/lib/chimera \
    CHIMERA_PREBUILT=1 \
    KEEPER_METRICS_PORT=9464
RUN groupadd --system --gid 10001 chimera \
  && useradd --system --uid 10001 --gid chimera --home-dir /var/lib/chimera --shell /usr/sbin/nologin chimera \
  && install -d -o chimera -g chimera -m 0700 /var/lib/chimera
WORKDIR /opt/chimera
COPY --from=build /opt/chimera ./
COPY docs ./docs
COPY ops/docker/keeper-entrypoint.sh /usr/local/bin/keeper-entrypoint
# What the keeper writes (journal, run reports) goes to the state volume; the code, node_modules and
# the compiled artifacts stay root-owned and read-only (CHIMERA_PREBUILT=1: no compile at start).
RUN install -d -o chimera -g chimera -m 0700 /var/lib/chimera/data /var/lib/chimera/reports \
  && ln -s /var/lib/chimera/data data && ln -s /var/lib/chimera/reports reports \
  && chmod 0755 /usr/local/bin/keeper-entrypoint
USER chimera
VOLUME ["/var/lib/chimera"]
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.KEEPER_METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/local/bin/keeper-entrypoint"]
CMD ["keeper"]
