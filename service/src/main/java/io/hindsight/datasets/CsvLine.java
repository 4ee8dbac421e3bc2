package io.hindsight.datasets;

import java.util.ArrayList;
import java.util.List;

/** Splits one CSV line into cells (RFC 4180 quoting, no line breaks inside quotes). */
final class CsvLine {

  private CsvLine() {}

  /**
   * The cells of {@code line}, unquoted.
   *
   * @throws IllegalArgumentException if a quoted cell is unterminated or followed by other text
   */
  static List<String> split(String line) {
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    int i = 0;
    int n = line.length();
    while (true) {
      if (i < n && line.charAt(i) == '"') {
        i++;
        while (true) {
          if (i >= n) {
            throw new IllegalArgumentException("unterminated quoted cell " + (cells.size() + 1));
          }
          char c = line.charAt(i++);
          if (c == '"') {
            if (i < n && line.charAt(i) == '"') {
              cell.append('"');
              i++;
            } else {
              break;
            }
          } else {
            cell.append(c);
          }
        }
        if (i < n && line.charAt(i) != ',') {
          throw new IllegalArgumentException(
              "text after the closing quote of cell " + (cells.size() + 1));
        }
      } else {
        while (i < n && line.charAt(i) != ',') {
          cell.append(line.charAt(i++));
        }
      }
      cells.add(cell.toString());
      cell.setLength(0);
      if (i >= n) {
        return cells;
      }
      i++; // the ','
    }
  }
}
