#include "app/terminal_prompt.h"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace tg::app {

std::string trimLine(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::optional<std::string> promptHidden(const std::string& prompt, std::ostream& err) {
  err << prompt << std::flush;
  termios old{};
  const bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (tty) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  err << "\n";
  if (!ok) return std::nullopt;
  return trimLine(line);
}

}  // namespace tg::app
