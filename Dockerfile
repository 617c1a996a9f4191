# Harness image of vitest-llm-d: runs any suite inside the cluster, with the same env and config
# as on a laptop.
#
# Build and push (from the repository root):
#
#   docker build -t <registry>/vitest-llm-d:<tag> .
#   docker push <registry>/vitest-llm-d:<tag>
#
# e.g. `docker build -t ghcr.io/acme/vitest-llm-d:0.1.0 .`; on a kind cluster,
# `kind load docker-image <registry>/vitest-llm-d:<tag>` instead of pushing.
#
# Run a suite (default: every suite, as `npx vitest run` on a laptop):
#
#   docker run --rm -e BENCH_BASE_URL=http://gateway:8000/v1 -e BENCH_MODEL=<model> \
#     <registry>/vitest-llm-d:<tag> npx vitest run suites/latency
#
# Config comes from the environment (BENCH_TARGET, BENCH_BASE_URL, BENCH_MODEL, OPENAI_API_KEY,
# BENCH_* overrides) or from files mounted over /app (e.g. a ConfigMap at /app/targets.yaml).
# Results go to /app/results/<stamp>-<suite>/; mount a volume (a PVC) there to keep them.
#
# The image is a clone of this repository run from its TypeScript sources, not the built package:
# it runs this repository's suites (vitest.config.ts resolves their `vitest-llm-d` imports to the
# sources), and a launch's pods run `node bin/vitest-llm-d.js` in /app, the layout of a clone (the
# embedded cluster runs them in the project folder itself). tsx, which loads the sources for the
# command and the simulator processes, is a dev dependency (the published package runs its
# built dist/ without it), so the dev dependencies are installed too.
FROM node:20.20-bookworm-slim

ENV NODE_ENV=production \
    NO_COLOR=1 \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when the lockfile changes. --include=dev:
# NODE_ENV=production would leave out tsx (see the header).
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --include=dev && npm cache clean --force

COPY --chown=node:node tsconfig.json vitest.config.ts ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node api ./api
COPY --chown=node:node lib ./lib
COPY --chown=node:node cli ./cli
COPY --chown=node:node sim ./sim
COPY --chown=node:node fixtures ./fixtures
COPY --chown=node:node reporters ./reporters
COPY --chown=node:node suites ./suites
COPY --chown=node:node examples ./examples

# The results folder must be writable by the unprivileged user the pod runs as.
RUN mkdir -p /app/results && chown node:node /app /app/results

# The node image's unprivileged user (uid 1000); pods can set runAsNonRoot: true.
USER node

CMD ["npx", "vitest", "run"]
