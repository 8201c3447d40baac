#!/bin/sh
# Build wrapper used by every tool under benchmark (hotdev, watchexec, nodemon), so that
# builds are counted and timed the same way whoever starts them: one "start <epoch>" line
# before the build and one "end <epoch> <exit code>" line after it, appended to
# $BENCH_BUILD_LOG. The build is `go build -o tmp/server .`, or the command given as
# arguments (go-plugin's `sh build.sh`). The two `date` forks cost about 1 ms per build,
# equally for all tools.
log=${BENCH_BUILD_LOG:?BENCH_BUILD_LOG must name the build log}
echo "start $(date +%s.%N)" >>"$log"
if [ "$#" -gt 0 ]; then
  "$@"
else
  go build -o tmp/server .
fi
rc=$?
echo "end $(date +%s.%N) $rc" >>"$log"
exit $rc
