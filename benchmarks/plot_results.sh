#!/usr/bin/env bash
# Draws the scaling benchmarks' plots from their JSON in benchmarks/results/
# (jq extracts the columns, gnuplot draws SVG):
#   allreduce: allreduce_busbw.svg, busbw vs message size, aif vs raw MPI, per rank count > 1
#   io:        io_throughput.svg, reader vs raw read MB/s per rank count, cold and warm cache
# Without gnuplot it says so and does nothing (apt-get install gnuplot-nox).
#   benchmarks/plot_results.sh [allreduce|io|all]
set -euo pipefail
results=$(cd "$(dirname "$0")" && pwd)/results
what=${1:-all}
if ! command -v gnuplot >/dev/null || ! command -v jq >/dev/null; then
  echo "plot_results.sh: gnuplot or jq not installed; no plots (apt-get install gnuplot-nox jq)" >&2
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
style='set terminal svg size 960,560 dynamic enhanced font "sans,12" background "white"; set grid'

if [[ $what == allreduce || $what == all ]]; then
  plots=()
  for json in "$results"/allreduce_np*.json; do
    [[ -f $json ]] || continue
    n=$(jq -r .ranks "$json")
    (( n > 1 )) || continue  # busbw is 0 on one rank by definition
    jq -r '.rows[] | [.bytes, .results["aif-mpi"].busbw_gbs, .results["raw-mpi"].busbw_gbs,
                      .results["aif-mpi-async"].busbw_gbs] | @tsv' "$json" > "$tmp/ar$n.tsv"
    plots+=("'$tmp/ar$n.tsv' using 1:2 with linespoints lw 2 title 'aif-mpi, $n ranks'"
            "'$tmp/ar$n.tsv' using 1:3 with linespoints dt 2 lw 2 title 'raw MPI\\_Allreduce, $n ranks'"
            "'$tmp/ar$n.tsv' using 1:4 with lines dt 3 title 'aif-mpi-async, $n ranks'")
  done
  if (( ${#plots[@]} )); then
    gnuplot -e "$style; set output '$results/allreduce_busbw.svg';
      set title 'all-reduce bus bandwidth (float sum, in place)'; set key top right; set logscale x 2; set format x '%.0b%B';
      set xlabel 'message size (bytes)'; set ylabel 'busbw (GB/s)';
      plot $(IFS=,; echo "${plots[*]}")"
    echo "wrote $results/allreduce_busbw.svg"
  fi
fi

if [[ $what == io || $what == all ]]; then
  for json in "$results"/io_np*.json; do
    [[ -f $json ]] || continue
    jq -r '[.ranks] + ([.results[] | select(.cache == "cold") | .reader_mb_s, .raw_mb_s]) +
           ([.results[] | select(.cache == "warm") | .reader_mb_s, .raw_mb_s]) | @tsv' "$json"
  done | sort -n > "$tmp/io.tsv"
  if [[ -s $tmp/io.tsv ]]; then
    gnuplot -e "$style; set output '$results/io_throughput.svg';
      set title 'ShardedReader vs raw sequential read, one epoch (MB/s, slowest rank)'; set key below;
      set style data histogram; set style histogram cluster gap 1; set style fill solid 0.8 border -1;
      set xlabel 'ranks'; set ylabel 'MB/s (1e6 B), log scale'; set logscale y; set yrange [100:*];
      plot '$tmp/io.tsv' using 2:xtic(1) title 'reader, cold', '' using 3 title 'raw read, cold',
           '' using 4 title 'reader, warm', '' using 5 title 'raw read, warm'"
    echo "wrote $results/io_throughput.svg"
  fi
fi
