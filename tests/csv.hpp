// A small RFC 4180 CSV reader for the reference files (quoted fields, commas inside quotes).
#pragma once
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace gpuplan::testing {

using CsvRow = std::map<std::string, std::string>;

inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  fields.push_back(field);
  return fields;
}

inline std::vector<CsvRow> read_csv(const std::string& path) {
  std::ifstream in(path);
  std::vector<CsvRow> rows;
  std::string line;
  if (!std::getline(in, line)) return rows;
  const auto header = split_csv_line(line);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto fields = split_csv_line(line);
    CsvRow row;
    for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) row[header[i]] = fields[i];
    rows.push_back(row);
  }
  return rows;
}

// The first number in a cell ("14.9888 GB" -> 14.9888, "2048.00 (K 1024 + V 1024)" -> 2048).
inline double leading_number(const std::string& cell) {
  std::size_t i = 0;
  while (i < cell.size() && !(std::isdigit(static_cast<unsigned char>(cell[i])) || cell[i] == '.')) ++i;
  std::size_t used = 0;
  try {
    return std::stod(cell.substr(i), &used);
  } catch (...) {
    return 0;
  }
}

}  // namespace gpuplan::testing
