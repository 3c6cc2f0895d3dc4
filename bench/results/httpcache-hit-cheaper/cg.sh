#!/bin/bash
# instructions per hit under cachegrind: (I(N2) - I(N1)) / (N2 - N1)
cd /tmp/p12
for C in "$@"; do
  for N in 5000 25000; do
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=cg/$C-$N.out ./hc-$C.test -test.run '^$' -test.bench '^BenchmarkHit$/cached' -test.benchtime ${N}x > cg/$C-$N.log 2>&1
  done
  a=$(grep -m1 'I *refs' cg/$C-5000.log | tr -d ',' | awk '{print $NF}')
  b=$(grep -m1 'I *refs' cg/$C-25000.log | tr -d ',' | awk '{print $NF}')
  echo "$C $(( (b - a) / 20000 )) instructions per hit"
done
