#include "core/options.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"

namespace po = boost::program_options;

namespace aif {

const std::vector<std::string>& KnownJobNames() {
  static const std::vector<std::string> names = {"prepare", "train",   "evaluate", "promote", "registry",
                                                 "predict", "drift",   "inspect",  "pipeline"};
  return names;
}

std::string DefaultText(const std::string& v) { return v; }
std::string DefaultText(double v) { return Format("%g", v); }
std::string DefaultText(int64_t v) { return std::to_string(v); }
std::string DefaultText(int v) { return std::to_string(v); }

JobOptions::JobOptions(std::string job, std::string usage, std::string summary)
    : job_(std::move(job)),
      usage_(std::move(usage)),
      summary_(std::move(summary)),
      desc_("Options", 100, 50),
      common_("Common options", 100, 50) {
  common_.add_options()("help,h", po::bool_switch(&help_), "show this help and exit")(
      "config", po::value<std::string>(&config_path_),
      "INI file with options (same names as the flags; flags override it; a [<job>] section applies to this job "
      "only)")("log-level", po::value<std::string>(&log_level_)->default_value("info"),
               "error, warn, info or debug (also AIF_LOG_LEVEL)");
}

void JobOptions::Track(const std::string& name, std::function<nlohmann::json()> getter) {
  tracked_.emplace_back(name, std::move(getter));
}

JobOptions& JobOptions::AddFlag(const std::string& name, bool* target, const std::string& help) {
  desc_.add_options()(name.c_str(), po::bool_switch(target), help.c_str());
  Track(name, [target] { return nlohmann::json(*target); });
  return *this;
}

JobOptions& JobOptions::AddPositional(const std::string& name, std::string* target, const std::string& help) {
  desc_.add_options()(name.c_str(), po::value<std::string>(target), help.c_str());
  positional_.add(name.c_str(), 1);
  Track(name, [this, name, target] { return Has(name) ? nlohmann::json(*target) : nlohmann::json(); });
  return *this;
}

std::string JobOptions::Help() const {
  std::ostringstream out;
  out << "Usage: " << usage_ << "\n\n" << summary_ << "\n\n" << desc_ << "\n" << common_;
  return out.str();
}

void JobOptions::StoreConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) ThrowUsage("--config: cannot read '%s'; check the path", path.c_str());
  po::options_description all;
  all.add(desc_).add(common_);
  po::parsed_options parsed(&all);
  try {
    parsed = po::parse_config_file(in, all, /*allow_unregistered=*/true);
  } catch (const po::error& e) {
    ThrowUsage("config '%s': %s", path.c_str(), e.what());
  }
  po::parsed_options kept(&all);
  const auto& jobs = KnownJobNames();
  for (po::option opt : parsed.options) {
    std::string key = opt.string_key;
    size_t dot = key.find('.');
    if (dot != std::string::npos) {
      std::string section = key.substr(0, dot);
      if (section != job_) {
        bool other_job = std::find(jobs.begin(), jobs.end(), section) != jobs.end();
        if (other_job) continue;  // another job's section
        ThrowUsage("config '%s': unknown section [%s]; sections must be job names (%s)", path.c_str(),
                   section.c_str(), Join(jobs, ", ").c_str());
      }
      key = key.substr(dot + 1);
    }
    if (!all.find_nothrow(key, /*approx=*/false)) {
      ThrowUsage("config '%s': unknown option '%s' for 'aif %s'; see 'aif %s --help'", path.c_str(), key.c_str(),
                 job_.c_str(), job_.c_str());
    }
    if (key == "config") ThrowUsage("config '%s': 'config' cannot be set inside a config file", path.c_str());
    opt.string_key = key;
    opt.unregistered = false;
    kept.options.push_back(opt);
  }
  po::store(kept, vm_);
}

bool JobOptions::Parse(int argc, char** argv) {
  po::options_description all;
  all.add(desc_).add(common_);
  try {
    po::store(po::command_line_parser(argc, argv)  // skips argv[0], the job name
                  .options(all)
                  .positional(positional_)
                  .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
                  .run(),
              vm_);
    if (vm_.count("help") && vm_["help"].as<bool>()) {
      std::cout << Help();
      return false;
    }
    if (vm_.count("config")) StoreConfigFile(vm_["config"].as<std::string>());
    po::notify(vm_);
  } catch (const po::error& e) {
    ThrowUsage("%s; see 'aif %s --help'", e.what(), job_.c_str());
  }
  LogLevel level;
  if (!ParseLogLevel(log_level_, &level)) {
    ThrowUsage("--log-level: '%s' is not one of error, warn, info, debug", log_level_.c_str());
  }
  SetLogLevel(level);
  return true;
}

nlohmann::json JobOptions::EffectiveConfig() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, getter] : tracked_) {
    nlohmann::json v = getter();
    if (!v.is_null()) out[name] = v;
  }
  return out;
}

}  // namespace aif
