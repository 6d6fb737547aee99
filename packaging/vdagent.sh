#!/bin/sh
# vdagent: runs the installed agent on the system's Node.js (20 or later).
exec /usr/bin/node --max-semi-space-size=2 /usr/lib/vdagent/app/dist/cli.js "$@"
