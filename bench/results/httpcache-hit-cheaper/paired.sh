#!/bin/bash
# be9bd52 (base) against the final commit (final), alternated, the order flipped each round.
cd /tmp/p12/$DIR   # DIR=run: 12 rounds, run2: 16, run3: 24
rounds=${1:-12}
for r in $(seq 1 $rounds); do
  order="base final"; [ $((r % 2)) -eq 0 ] && order="final base"
  for C in $order; do
    /tmp/p12/hc-$C.test -test.run '^$' -test.bench '^BenchmarkHit$/cached' -test.benchmem -test.benchtime 0.3s >> hit-$C.txt
    /tmp/p12/bench-$C.test -test.run '^$' -test.bench '^BenchmarkHTTPCache$/path=(hit|miss|revalidate)/impl=kv$' -test.benchmem -test.benchtime 0.3s >> paths-$C.txt
  done
  echo "round $r done $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" >> progress.txt
done
