#!/usr/bin/env bash
# As the distribution's script of this name.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
