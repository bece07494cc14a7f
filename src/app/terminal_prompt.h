#pragma once

// Secrets typed at a terminal: the prompt goes to `err`, the answer is read without echo.

#include <optional>
#include <ostream>
#include <string>

namespace tg::app {

// One line from stdin with echo off when stdin is a terminal; nullopt at end of input.
std::optional<std::string> promptHidden(const std::string& prompt, std::ostream& err);

// `s` without its trailing CR/LF.
std::string trimLine(std::string s);

}  // namespace tg::app
