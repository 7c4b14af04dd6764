// Small string helpers shared by every module: printf-style formatting into
// std::string (g++ 12 has no std::format), joining, trimming and parsing of
// numbers with strict checks (the whole field must be consumed).
#pragma once

#include <cstdarg>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aif {

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string VFormat(const char* fmt, va_list args);

std::string Join(const std::vector<std::string>& parts, std::string_view sep);
std::vector<std::string> Split(std::string_view text, char sep);
std::string_view Trim(std::string_view text);
bool StartsWith(std::string_view text, std::string_view prefix);
bool EndsWith(std::string_view text, std::string_view suffix);

// Strict parses: leading/trailing spaces allowed, anything else is nullopt.
std::optional<double> ParseDouble(std::string_view text);
std::optional<int64_t> ParseInt(std::string_view text);

// "1.5 GiB", "12 KiB", "512 B".
std::string HumanBytes(double bytes);

// Parses sizes such as "256M", "1G", "64KiB", "1000000" into bytes.
std::optional<uint64_t> ParseBytes(std::string_view text);

}  // namespace aif
