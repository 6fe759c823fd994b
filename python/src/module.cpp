// gpuplan._gpuplan: the Python face of the request layer. A call is (command, JSON request) ->
// the document the CLI's --json prints, computed with the GIL released; the Python package
// (python/gpuplan/__init__.py) turns keyword arguments into the request and the text into dicts.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "gpuplan/api/documents.hpp"
#include "gpuplan/api/json_request.hpp"
#include "gpuplan/api/requests.hpp"
#include "gpuplan/io/catalog_json.hpp"
#include "gpuplan/io/json_dump.hpp"
#include "gpuplan/io/telemetry.hpp"
#include "gpuplan/sources/local_files.hpp"

namespace py = pybind11;

namespace gpuplan::python {
namespace {

// The built-in catalog, parsed once and shared read-only by every call on every thread.
const Result<Catalog>& builtin() {
  static const Result<Catalog> catalog = io::builtin_catalog();
  return catalog;
}

// Options of every call that are not request fields: files the face reads before the request runs.
struct FaceOptions {
  std::string models_file, gpus_file, prices_file, calibration_file, telemetry_file;
  bool offline = false;
};

Result<std::string> take_text(nlohmann::json& request, const char* key) {
  if (!request.contains(key)) return std::string();
  nlohmann::json v = request[key];
  request.erase(key);
  if (v.is_null()) return std::string();
  if (!v.is_string()) return make_error(ErrorCode::invalid_argument, std::string("'") + key + "': expected a path");
  return v.get<std::string>();
}

Result<FaceOptions> face_options(api::Command command, nlohmann::json& request) {
  FaceOptions o;
  auto models = take_text(request, "models_file");
  auto gpus = take_text(request, "gpus_file");
  if (!models) return models.error();
  if (!gpus) return gpus.error();
  o.models_file = models.value();
  o.gpus_file = gpus.value();
  if (request.contains("offline")) {
    if (!request["offline"].is_boolean()) return make_error(ErrorCode::invalid_argument, "'offline': expected a bool");
    o.offline = request["offline"].get<bool>();
    request.erase("offline");
  }
  if (command == api::Command::cost) {
    auto prices = take_text(request, "prices_file");
    if (!prices) return prices.error();
    o.prices_file = prices.value();
  }
  if (command == api::Command::speed || command == api::Command::plan || command == api::Command::cost) {
    if (request.contains("calibration") && request["calibration"].is_string()) {
      o.calibration_file = request["calibration"].get<std::string>();
    }
  }
  if (command == api::Command::idle && request.contains("file") && request["file"].is_string()) {
    o.telemetry_file = request["file"].get<std::string>();
    if (o.telemetry_file == "-") {
      return make_error(ErrorCode::invalid_argument, "'file': standard input is the CLI's; pass telemetry= the text");
    }
  }
  return o;
}

Result<nlohmann::ordered_json> run_request(api::Command command, std::string_view request_text) {
  auto parsed = api::parse_request_json(request_text);
  if (!parsed) return parsed.error();
  nlohmann::json request = std::move(parsed).value();
  if (!request.is_object()) return make_error(ErrorCode::parse_error, "a request is a JSON object");
  auto options = face_options(command, request);
  if (!options) return options.error();
  const FaceOptions& o = options.value();
  if (!o.telemetry_file.empty() && !request.contains("telemetry")) {
    auto text = sources::read_bounded_file(o.telemetry_file, io::kMaxTelemetryBytes);
    if (!text) return text.error();
    request["telemetry"] = std::move(text).value();
  }
  api::Context ctx;
  ctx.sources = sources::source_options_from_environment();
  if (o.offline) ctx.sources.offline = true;
  Catalog own;
  if (o.models_file.empty() && o.gpus_file.empty() && o.prices_file.empty() && o.calibration_file.empty()) {
    if (!builtin()) return builtin().error();
    ctx.catalog = &builtin().value();
  } else {
    auto catalog = sources::load_catalog(o.models_file, o.gpus_file);
    if (!catalog) return catalog.error();
    own = std::move(catalog).value();
    if (!o.prices_file.empty()) {
      auto ok = sources::load_prices(o.prices_file, own);
      if (!ok) return ok.error();
    }
    if (!o.calibration_file.empty()) {
      auto ok = sources::load_serving_calibration(o.calibration_file, own);
      if (!ok) return ok.error();
    }
    ctx.catalog = &own;
  }
  return api::run_json(ctx, command, request);
}

// (True, document) or (False, error document), both as JSON text, the GIL released throughout.
std::pair<bool, std::string> run(const std::string& command_name, const std::string& request_text) {
  py::gil_scoped_release release;
  auto command = api::parse_command(command_name);
  if (!command) return {false, io::dump_json(api::error_document(command_name.substr(0, 64), command.error()))};
  try {
    auto doc = run_request(command.value(), request_text);
    if (!doc) return {false, io::dump_json(api::error_document(command_name, doc.error()))};
    return {true, io::dump_json(doc.value(), -1)};  // compact: the reader is json.loads, not a person
  } catch (const std::exception& e) {
    return {false,
            io::dump_json(api::error_document(
                command_name, make_error(ErrorCode::invalid_argument, std::string("internal error: ") + e.what())))};
  }
}

template <class R>
py::list field_list(const std::vector<api::Field<R>>& fields) {
  py::list out;
  for (const auto& f : fields) {
    py::dict d;
    d["key"] = f.info.key;
    d["cli"] = f.info.cli;
    d["kind"] = api::to_string(f.info.kind);
    d["help"] = f.info.help;
    d["group"] = f.info.group;
    d["min"] = f.info.min;
    d["max"] = f.info.max;
    d["takes_max"] = f.info.takes_max;
    out.append(d);
  }
  return out;
}

py::list option_list(const std::vector<api::OptionInfo>& options) {
  py::list out;
  for (const api::OptionInfo& o : options) {
    py::dict d;
    d["key"] = o.key;
    d["cli"] = std::string("--") + o.key;
    d["kind"] = std::string(o.key) == "offline" ? "flag" : "text";
    d["help"] = o.help;
    d["group"] = "";
    d["min"] = 0.0;
    d["max"] = 0.0;
    d["takes_max"] = false;
    out.append(d);
  }
  return out;
}

// The options of a command, as --help lists them: the source of the docstrings and the stubs.
py::list fields(const std::string& command_name) {
  auto command = api::parse_command(command_name);
  if (!command) throw py::value_error(command.error().message);
  py::list l;
  switch (command.value()) {
    case api::Command::fit: l = field_list(api::fit_fields()); break;
    case api::Command::speed: l = field_list(api::speed_fields()); break;
    case api::Command::cost: l = field_list(api::cost_fields()); break;
    case api::Command::plan: l = field_list(api::plan_fields()); break;
    case api::Command::train: l = field_list(api::train_fields()); break;
    case api::Command::inspect: l = field_list(api::inspect_fields()); break;
    case api::Command::idle: l = field_list(api::idle_fields()); break;
    case api::Command::models:
    case api::Command::gpus:
    case api::Command::quants: break;
  }
  for (const auto& o : option_list(api::extra_options(command.value()))) l.append(o);
  return l;
}

std::vector<std::string> commands() {
  std::vector<std::string> out;
  for (const api::Command c : api::all_commands()) out.emplace_back(api::to_string(c));
  return out;
}

}  // namespace
}  // namespace gpuplan::python

#ifndef GPUPLAN_VERSION
#define GPUPLAN_VERSION "unknown"
#endif

PYBIND11_MODULE(_gpuplan, m) {
  m.doc() = "gpuplan's request layer (use the gpuplan package, not this module)";
  m.def("run", &gpuplan::python::run, py::arg("command"), py::arg("request_json"),
        "Runs a command on a JSON request: (True, document JSON) or (False, error JSON). Releases the GIL.");
  m.def("fields", &gpuplan::python::fields, py::arg("command"), "The options of a command, as --help lists them.");
  m.def(
      "face_options", [] { return gpuplan::python::option_list(gpuplan::api::face_options()); },
      "The options of every call that are not request fields (the CLI's global options).");
  m.def("commands", &gpuplan::python::commands, "The commands, as the CLI names them.");
  m.def("units_note", [] { return std::string(gpuplan::api::units_note()); });
  m.attr("version") = GPUPLAN_VERSION;
}
