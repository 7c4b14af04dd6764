#include "eval/html_page.h"

namespace aif {

const char* BaseReportStyle() {
  // .cap has width 0 and min-width 100% so a caption never widens its figure.
  return R"CSS(
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --accent:#4e79a7; --bg:#f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 24px 40px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 20px; }
h1 { font-size: 26px; margin: 0 0 4px; font-weight: 650; }
h2 { font-size: 18px; margin: 28px 0 10px; font-weight: 620; }
h3 { font-size: 15px; margin: 0 0 2px; font-weight: 620; }
.sub, .cap, .note, footer { color: var(--muted); }
.cap { margin: 0 0 10px; font-size: 12.5px; width: 0; min-width: 100%; }
.note { font-style: italic; margin: 6px 0; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 0 0 8px; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 140px; }
.tile .v { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile .k { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { padding: 5px 12px; text-align: left; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f5; font-weight: 600; font-size: 12.5px; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { width: 220px; background: #f3f5f8; }
table.kv, table.lineage { width: 100%; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; word-break: break-all; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; max-width: 100%; }
svg { display: block; max-width: 100%; height: auto; font-family: inherit; }
footer { margin-top: 32px; font-size: 12px; }
)CSS";
}

}  // namespace aif
