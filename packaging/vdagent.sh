#!/bin/sh
# vdagent: runs the installed agent on the system's Node.js (20 or later).
# The Node flags are the session helper's (NODE_FLAGS, src/session/helper.ts): see there why.
exec /usr/bin/node --max-semi-space-size=2 --no-concurrent-recompilation /usr/lib/vdagent/app/dist/cli.js "$@"
