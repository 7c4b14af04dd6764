// The stylesheet shared by aif's self-contained HTML pages (report.html of
// `aif evaluate`, drift.html of `aif drift`): colours, type, header, tiles,
// tables, figures. A page inlines it in its <style> and appends only its own
// rules, which come later and so may refine these. System fonts only, no
// url(): the pages must render offline and the same on every machine.
#pragma once

namespace aif {

// The base CSS as one static string (no <style> tags).
const char* BaseReportStyle();

}  // namespace aif
