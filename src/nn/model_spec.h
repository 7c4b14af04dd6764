// The model spec: a line of text a person can read and write, turned into a
// list of layer tokens. Grammar (docs/models.md has examples):
//   spec   := token { token }
//   token  := "mlp" WIDTHS [ "relu" | "gelu" ] [ "dropout=" P ]   (shorthand, whole spec)
//           | "linear(" N ")" | "conv(" K "," R [ ",stride=" S ] [ ",pad=" P ] ")"
//           | "pool(" K [ "," S ] ")" | "maxpool(...)" | "flatten"
//           | "relu" | "gelu" | "dropout(" P ")" | "dropout=" P
//   WIDTHS := N "-" N { "-" N }       e.g. 784-256-128-10
// Errors are usage errors naming the offending token and its position.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aif {

struct LayerToken {
  std::string kind;            // linear, conv, pool, flatten, relu, gelu, dropout
  std::vector<int64_t> ints;   // linear: {N}; conv: {K, R, stride, pad}; pool: {K, S}
  double value = 0;            // dropout probability
  std::string text;            // the token as written, for messages
};

// Parses a spec; the mlp shorthand is expanded into layer tokens (flatten,
// linear, activation, dropout ...), with WIDTHS[0] kept in `mlp_inputs` for
// validation against the data (0 when the spec is not an mlp).
std::vector<LayerToken> ParseModelSpec(const std::string& spec, int64_t* mlp_inputs);

}  // namespace aif
