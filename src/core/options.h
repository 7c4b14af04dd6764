// Job options: one description serves the command line and the INI config
// file (`--config FILE.ini`, the same names as the flags), through
// Boost.Program_options. Flags override the file. A config may also hold
// sections named after jobs ([prepare], [train], ...): a job reads its own
// section and the top level, and ignores other jobs' sections, so one file
// can drive a whole pipeline. Unknown names and values of the wrong type are
// usage errors that name the option. Every option is bound to a variable, so
// the effective configuration can be recorded as JSON for lineage.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aif {

// How a default value is shown in --help ("0.1", not "0.10000000000000001").
std::string DefaultText(const std::string& v);
std::string DefaultText(double v);
std::string DefaultText(int64_t v);
std::string DefaultText(int v);

class JobOptions {
 public:
  JobOptions(std::string job, std::string usage, std::string summary);

  // An option with a default value (shown in --help).
  template <typename T>
  JobOptions& Add(const std::string& name, T* target, const T& default_value, const std::string& help) {
    desc_.add_options()(name.c_str(),
                        boost::program_options::value<T>(target)->default_value(default_value, DefaultText(default_value)),
                        help.c_str());
    Track(name, [target] { return nlohmann::json(*target); });
    return *this;
  }
  // An option without a default; Has(name) says whether it was given.
  template <typename T>
  JobOptions& AddOptional(const std::string& name, T* target, const std::string& help) {
    desc_.add_options()(name.c_str(), boost::program_options::value<T>(target), help.c_str());
    Track(name, [this, name, target] { return Has(name) ? nlohmann::json(*target) : nlohmann::json(); });
    return *this;
  }
  // An on/off switch: `--name` on the command line, `name = true` in a file.
  JobOptions& AddFlag(const std::string& name, bool* target, const std::string& help);
  // A positional argument (e.g. `aif inspect FILE`), also accepted as --name.
  JobOptions& AddPositional(const std::string& name, std::string* target, const std::string& help);

  // Parses argv (argv[0] is the job name). Returns false when --help was
  // printed and the job should exit 0. Throws Error(kUsage).
  bool Parse(int argc, char** argv);

  bool Has(const std::string& name) const { return vm_.count(name) && !vm_[name].defaulted(); }
  const std::string& config_path() const { return config_path_; }
  std::string log_level() const { return log_level_; }
  std::string Help() const;
  // Every option's effective value, for lineage and RUN/config.json.
  nlohmann::json EffectiveConfig() const;

 private:
  void Track(const std::string& name, std::function<nlohmann::json()> getter);
  void StoreConfigFile(const std::string& path);

  std::string job_;
  std::string usage_;
  std::string summary_;
  boost::program_options::options_description desc_;
  boost::program_options::options_description common_;
  boost::program_options::positional_options_description positional_;
  boost::program_options::variables_map vm_;
  std::vector<std::pair<std::string, std::function<nlohmann::json()>>> tracked_;
  std::string config_path_;
  std::string log_level_ = "info";
  bool help_ = false;
};

// The names of all jobs, so a config section for another job is ignored
// rather than reported as unknown.
const std::vector<std::string>& KnownJobNames();

}  // namespace aif
