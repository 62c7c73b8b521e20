#include "importer/launcher.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "config/yaml_reader.hpp"

namespace trainsim::importer {

namespace {

std::string basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool is_python(const std::string& program) {
  const std::string b = basename(program);
  if (b.rfind("python", 0) != 0) return false;
  return std::all_of(b.begin() + 6, b.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
}

// Options of torchrun and of `python -m torch.distributed.launch` (which takes torchrun's
// options too since PyTorch 1.10), dashes and underscores alike. Value options first.
const std::set<std::string> kTorchValue = {
    "nnodes", "nproc-per-node", "node-rank", "master-addr", "master-port", "rdzv-backend", "rdzv-endpoint",
    "rdzv-id", "rdzv-conf", "max-restarts", "monitor-interval", "start-method", "role", "log-dir", "redirects",
    "r", "tee", "t", "local-ranks-filter", "local-addr", "logs-specs", "event-log-handler", "numa-binding",
    "signals-to-handle", "rdzv-timeout"};
const std::set<std::string> kTorchFlag = {"standalone", "no-python", "run-path", "module", "m", "use-env", "no-use-env",
                                          "virtual-local-rank"};

// srun's options that take a value, long and short; the others known are flags.
const std::set<std::string> kSrunValue = {
    "account", "A", "partition", "p", "time", "t", "job-name", "J", "output", "o", "error", "e", "input", "i",
    "nodes", "N", "ntasks", "n", "cpus-per-task", "c", "ntasks-per-node", "gpus-per-node", "gpus-per-task",
    "gpus", "G", "gres", "mem", "mem-per-cpu", "mem-per-gpu", "cpus-per-gpu", "container-image",
    "container-mounts", "container-name", "container-workdir", "container-env", "mpi", "cpu-bind", "gpu-bind",
    "export", "distribution", "m", "nodelist", "w", "exclude", "x", "reservation", "qos", "q", "constraint",
    "C", "open-mode", "signal", "chdir", "D", "comment", "dependency", "d", "network", "switches", "wait",
    "W", "time-min", "begin", "deadline", "threads-per-core", "ntasks-per-socket", "sockets-per-node",
    "cores-per-socket", "hint", "cluster", "M", "wckey", "mcs-label", "nice", "priority", "profile",
    "propagate", "task-epilog", "task-prolog", "epilog", "prolog", "tres-per-task", "ntasks-per-gpu", "het-group"};
const std::set<std::string> kSrunFlag = {
    "label", "l", "exclusive", "overcommit", "O", "unbuffered", "u", "no-container-mount-home",
    "container-remap-root", "no-container-remap-root", "container-writable", "container-readonly", "verbose",
    "v", "quiet", "Q", "pty", "overlap", "no-kill", "k", "kill-on-bad-exit", "K", "exact", "whole",
    "no-container-entrypoint", "container-mount-home", "hold", "H", "immediate", "I", "contiguous", "oversubscribe",
    "s", "spread-job", "use-min-nodes", "test-only", "disable-status", "X"};

// Option names as written on a command line ("--nnodes", "-N"), for suggestions.
std::vector<std::string> dashed(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::vector<std::string> out;
  for (const auto* set : {&a, &b})
    for (const auto& n : *set) out.push_back((n.size() == 1 ? "-" : "--") + n);
  return out;
}

struct Option {
  std::string name;                // without dashes
  std::optional<std::string> value;  // attached ("--x=1", "-N4")
  bool long_form = true;
};

Option split_option(const std::string& word, bool attached_short_values) {
  Option o;
  const size_t dashes = word.rfind("--", 0) == 0 ? 2 : 1;
  o.long_form = dashes == 2;
  std::string body = word.substr(dashes);
  if (const size_t eq = body.find('='); eq != std::string::npos) {
    o.value = body.substr(eq + 1);
    body = body.substr(0, eq);
  } else if (!o.long_form && attached_short_values && body.size() > 1) {
    o.value = body.substr(1);
    body = body.substr(0, 1);
  }
  o.name = body;
  return o;
}

std::string underscores_to_dashes(std::string s) {
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

InputError at(const Word& w, const std::string& message) { return InputError(w.where, w.text, message); }

// "4" -> 4; "2:2" (torchrun's min:max) and "2-2" (srun's min-max) -> 2; a shell variable -> none.
LaunchCount count(const Word& w, const std::string& option, char range) {
  LaunchCount c{std::nullopt, w.text, option, w.where};
  if (w.unexpanded) return c;
  std::string text = w.text;
  if (const size_t r = text.find(range); r != std::string::npos) {
    if (text.substr(0, r) != text.substr(r + 1))
      throw InputError(w.where, option, text + " is a range of nodes, but trainsim simulates one size; expected one "
                                               "count (or trainsim import's --nodes N)");
    text = text.substr(0, r);
  }
  if (text.empty() || text.size() > 7 || text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(text) < 1)
    throw InputError(w.where, option, "'" + w.text + "' is not a count; expected a positive integer");
  c.value = std::stoi(text);
  return c;
}

class Reader {
 public:
  explicit Reader(Launch& out) : out_(out) {}

  // Parses one command (and what it wraps).
  void command(const std::vector<Word>& words, size_t i) {
    // Transparent prefixes.
    while (i < words.size()) {
      const std::string b = basename(words[i].text);
      if (b == "exec" || b == "nohup" || b == "time") {
        ++i;
      } else if (b == "env") {
        ++i;
        while (i < words.size() && words[i].text.find('=') != std::string::npos && words[i].text[0] != '-')
          out_.ignored.push_back(words[i++].text);
      } else {
        break;
      }
    }
    if (i >= words.size()) throw InputError({kCommandLineName, 1, 1}, "", "no training command found; expected "
                                            "Megatron-LM flags or a launcher line running pretrain_gpt.py");
    const Word& w = words[i];
    const std::string b = basename(w.text);
    if (w.text.rfind("--", 0) == 0) {
      flags(words, i);
    } else if (b == "torchrun") {
      out_.launcher = "torchrun";
      torch_options(words, i + 1, "torchrun");
    } else if (is_python(w.text)) {
      python(words, i + 1);
    } else if (b == "srun") {
      out_.launcher = "srun";
      srun(words, i + 1);
    } else if ((b == "sh" || b == "bash") && i + 2 < words.size() && words[i + 1].text == "-c") {
      const auto inner = commands_from_text(words[i + 2].text, words[i + 2].where);
      out_.other_commands.clear();
      choose_and_read(inner, *this);
    } else if (w.text.size() > 3 && w.text.substr(w.text.size() - 3) == ".py") {
      script(words, i);
    } else {
      throw at(w, "'" + w.text + "' is not a launcher trainsim reads; expected Megatron-LM flags (--num-layers ...), "
                                 "torchrun, python -m torch.distributed.run or .launch, srun, sh -c \"...\", or "
                                 "python pretrain_gpt.py");
    }
  }

  static void choose_and_read(const std::vector<Command>& commands, Reader& reader) {
    std::vector<size_t> launches;
    for (size_t k = 0; k < commands.size(); ++k)
      if (starts_training(commands[k])) launches.push_back(k);
    if (launches.empty()) {
      if (commands.size() != 1)
        throw InputError({kCommandLineName, 1, 1}, "",
                         "the pasted text has " + std::to_string(commands.size()) +
                             " commands and none runs pretrain_gpt.py or a launcher; paste the training command");
      launches.push_back(0);
    }
    if (launches.size() > 1) {
      const auto& a = commands[launches[0]].words[0].where;
      const auto& b = commands[launches[1]].words[0].where;
      throw InputError(b, "", "the pasted text starts training more than once (lines " + std::to_string(a.line) +
                                  " and " + std::to_string(b.line) + "); paste one training command");
    }
    for (size_t k = 0; k < commands.size(); ++k)
      if (k != launches[0]) reader.out_.other_commands.push_back(join_words(commands[k].words));
    const Command& c = commands[launches[0]];
    for (const auto& e : c.env) reader.out_.ignored.push_back(e.text);
    reader.command(c.words, 0);
  }

 private:
  static bool starts_training(const Command& c) {
    for (const auto& w : c.words) {
      const std::string b = basename(w.text);
      if (b == "torchrun" || b == "srun" || w.text == "torch.distributed.run" || w.text == "torch.distributed.launch" ||
          (b.size() > 3 && b.rfind("pretrain_", 0) == 0 && b.substr(b.size() - 3) == ".py"))
        return true;
      if (w.text == "-c" || w.text.find(' ') != std::string::npos) {
        // `sh -c "python pretrain_gpt.py ..."`: look inside the string.
        if (w.text.find("pretrain_") != std::string::npos || w.text.find("torchrun") != std::string::npos) return true;
      }
    }
    return !c.words.empty() && c.words[0].text.rfind("--", 0) == 0;
  }

  void flags(const std::vector<Word>& words, size_t i) {
    out_.flags.assign(words.begin() + static_cast<long>(i), words.end());
  }

  void script(const std::vector<Word>& words, size_t i) {
    out_.script = words[i];
    flags(words, i + 1);
  }

  void python(const std::vector<Word>& words, size_t i) {
    while (i < words.size() && words[i].text.size() > 1 && words[i].text[0] == '-') {
      const std::string& t = words[i].text;
      if (t == "-m") {
        if (i + 1 >= words.size()) throw at(words[i], "python -m needs a module name");
        const std::string module = words[i + 1].text;
        if (module == "torch.distributed.run" || module == "torch.distributed.launch") {
          out_.launcher = module;
          torch_options(words, i + 2, "python -m " + module);
          return;
        }
        throw at(words[i + 1], "python -m " + module + " is not a launcher trainsim reads; expected "
                                                        "torch.distributed.run or torch.distributed.launch");
      }
      if (t == "-c") throw at(words[i], "python -c runs inline code, not a Megatron-LM training script");
      if (t == "-W" || t == "-X") {
        out_.ignored.push_back("python " + t + " " + (i + 1 < words.size() ? words[i + 1].text : ""));
        i += 2;
        continue;
      }
      if (t.find_first_not_of("-uOBEsSIqvbRdiP") != std::string::npos)
        throw at(words[i], "unknown python option '" + t + "'; expected the interpreter's flags (-u, -O, -B, ...) "
                                                           "then the training script");
      out_.ignored.push_back("python " + t);
      ++i;
    }
    if (i >= words.size()) throw at(words.back(), "python runs no script; expected pretrain_gpt.py and its flags");
    script(words, i);
  }

  void torch_options(const std::vector<Word>& words, size_t i, const std::string& who) {
    while (i < words.size() && words[i].text.size() > 1 && words[i].text[0] == '-') {
      const Word& w = words[i];
      Option o = split_option(w.text, false);
      const std::string name = underscores_to_dashes(o.name);
      if (kTorchFlag.count(name)) {
        if (name == "module" || name == "m")
          throw at(w, who + " " + w.text + " runs a module; trainsim reads the flags of pretrain_gpt.py");
        if (name == "no-python") throw at(w, who + " --no-python runs a program, not pretrain_gpt.py");
        if (name == "standalone") out_.nodes = LaunchCount{1, w.text, who + " --standalone", w.where};
        else out_.ignored.push_back(who + " " + w.text);
        ++i;
        continue;
      }
      if (!kTorchValue.count(name)) {
        const std::string hint = did_you_mean("--" + name, dashed(kTorchValue, kTorchFlag));
        throw at(w, "unknown " + who + " option '" + w.text + "'" + (hint.empty() ? "" : " (" + hint + ")") +
                        "; expected its options (--nnodes, --nproc-per-node, ...) then the training script");
      }
      Word value = w;
      if (o.value) {
        value.text = *o.value;
      } else {
        if (i + 1 >= words.size()) throw at(w, who + " " + w.text + " needs a value");
        value = words[++i];
      }
      if (name == "nnodes") {
        out_.nodes = count(value, who + " --nnodes", ':');
      } else if (name == "nproc-per-node") {
        if (value.text == "gpu" || value.text == "auto") {
          out_.per_node_is_all_gpus = true;
          out_.gpus_per_node.reset();
        } else if (value.text == "cpu") {
          throw at(value, who + " --nproc-per-node cpu starts CPU processes; trainsim simulates GPUs");
        } else {
          out_.gpus_per_node = count(value, who + " --nproc-per-node", '\0');
        }
      } else {
        out_.ignored.push_back(who + " " + w.text + (o.value ? "" : " " + value.text));
      }
      ++i;
    }
    if (i >= words.size()) throw at(words[i - 1], who + " runs no script; expected pretrain_gpt.py and its flags");
    script(words, i);
  }

  void srun(const std::vector<Word>& words, size_t i) {
    std::optional<LaunchCount> ntasks;
    while (i < words.size() && words[i].text.size() > 1 && words[i].text[0] == '-') {
      const Word& w = words[i];
      Option o = split_option(w.text, true);
      if (kSrunFlag.count(o.name) && !(o.value && !o.long_form)) {
        out_.ignored.push_back("srun " + w.text);
        ++i;
        continue;
      }
      if (!o.long_form && !kSrunValue.count(o.name)) o = split_option(w.text, false);  // "-l"
      if (!kSrunValue.count(o.name)) {
        if (kSrunFlag.count(o.name)) {
          out_.ignored.push_back("srun " + w.text);
          ++i;
          continue;
        }
        const std::string hint = did_you_mean(w.text.substr(0, w.text.find('=')), dashed(kSrunValue, kSrunFlag));
        throw at(w, "unknown srun option '" + w.text + "'" + (hint.empty() ? "" : " (" + hint + ")") +
                        "; expected srun's options then the command it runs");
      }
      Word value = w;
      if (o.value) {
        value.text = *o.value;
      } else {
        if (i + 1 >= words.size()) throw at(w, "srun " + w.text + " needs a value");
        value = words[++i];
      }
      if (o.name == "nodes" || o.name == "N") out_.nodes = count(value, "srun " + w.text, '-');
      else if (o.name == "ntasks-per-node") out_.gpus_per_node = count(value, "srun " + w.text, '\0');
      else if (o.name == "ntasks" || o.name == "n") ntasks = count(value, "srun " + w.text, '\0');
      else out_.ignored.push_back("srun " + w.text + (o.value ? "" : " " + value.text));
      ++i;
    }
    if (ntasks && !out_.gpus_per_node) {
      if (!out_.nodes || !out_.nodes->value || !ntasks->value)
        throw InputError(ntasks->where, ntasks->text,
                         "srun --ntasks without --nodes does not say how many GPUs per node; give srun "
                         "--ntasks-per-node or trainsim's --nodes and --gpus-per-node");
      if (*ntasks->value % *out_.nodes->value != 0)
        throw InputError(ntasks->where, ntasks->text,
                         "srun starts " + ntasks->text + " tasks on " + out_.nodes->text +
                             " nodes, not the same number on each; trainsim needs as many GPUs on every node");
      out_.gpus_per_node = LaunchCount{*ntasks->value / *out_.nodes->value, ntasks->text, "srun --ntasks", ntasks->where};
    }
    if (i >= words.size()) throw at(words[i - 1], "srun runs no command; expected the training command after its options");
    // srun runs the real command, itself possibly a launcher: its counts (one torchrun per
    // node) take precedence over srun's task count.
    std::optional<LaunchCount> srun_nodes = out_.nodes, srun_per_node = out_.gpus_per_node;
    out_.nodes.reset();
    out_.gpus_per_node.reset();
    command(words, i);
    if (out_.launcher.empty() || out_.launcher == "srun") {
      out_.launcher = "srun";
    }
    if (!out_.nodes) out_.nodes = srun_nodes;
    if (!out_.gpus_per_node && !out_.per_node_is_all_gpus) out_.gpus_per_node = srun_per_node;
  }

  Launch& out_;
};

}  // namespace

Launch parse_launch(const std::vector<Command>& commands) {
  Launch out;
  if (commands.empty())
    throw InputError({kCommandLineName, 1, 1}, "", "no Megatron-LM flags given; put them after '--'");
  Reader reader(out);
  Reader::choose_and_read(commands, reader);
  return out;
}

}  // namespace trainsim::importer
