#!/bin/sh
# The container's entry point: runs a Hardhat task of this project (default `keeper`) on
# $CHIMERA_NETWORK with the journal in the state volume. Any other task works the same way:
#   docker compose run --rm keeper daily          docker compose run --rm keeper status
set -eu
: "${CHIMERA_NETWORK:?set CHIMERA_NETWORK (base, baseSepolia, mainnet or hardhat)}"
task="${1:-keeper}"
[ "$#" -gt 0 ] && shift
if [ "$task" = "keeper" ] && [ "$CHIMERA_NETWORK" != "hardhat" ]; then
  set -- --journal "/var/lib/chimera/data/keeper-${CHIMERA_NETWORK}.sqlite" "$@"
fi
exec node /opt/chimera/node_modules/hardhat/internal/cli/bootstrap.js "$task" --network "$CHIMERA_NETWORK" "$@"
