// Console progress: plain lines every log_every steps when the output is not a terminal; on a
// terminal (a pseudo-terminal here) one status line redrawn in place, throttled, notes above it.
#include "lowbit/train/progress.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace lowbit {
namespace {

std::string read_all(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s += static_cast<char>(c);
  return s;
}

TEST(Progress, PlainLinesEveryLogEvery) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Progress p(25, 10, f);
    for (int64_t s = 1; s <= 25; ++s) {
      p.update(s, 2.5, s % 10 == 0 ? 100.0 : -1, "tokens");
      if (s == 12) p.note("periodic eval at step 12: accuracy 50 %");
    }
    p.finish();
    p.finish();  // harmless
  }
  std::string out = read_all(f);
  std::fclose(f);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4) << out;  // steps 10, 20, 25 and the note
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_NE(out.find("step 10/25 (40.0%)  loss 2.5000  100 tokens/s"), std::string::npos) << out;
  EXPECT_NE(out.find("step 25/25 (100.0%)"), std::string::npos) << out;
  EXPECT_NE(out.find("ETA"), std::string::npos) << out;
  EXPECT_LT(out.find("step 10/25"), out.find("periodic eval"));
  EXPECT_LT(out.find("periodic eval"), out.find("step 20/25"));
}

TEST(Progress, TerminalRedrawsOneThrottledLine) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  termios raw{};
  tcgetattr(slave, &raw);
  cfmakeraw(&raw);  // no "\n" -> "\r\n" translation: count our own '\r'
  tcsetattr(slave, TCSANOW, &raw);
  std::FILE* out = fdopen(slave, "w");
  ASSERT_NE(out, nullptr);
  {
    Progress p(1000, 10, out);
    for (int64_t s = 1; s <= 1000; ++s) {
      p.update(s, 1.0, 50.0, "images");
      if (s == 500) p.note("a note");
    }
    p.finish();
  }
  std::fflush(out);
  std::string got;
  fcntl(master, F_SETFL, O_NONBLOCK);
  char buf[4096];
  for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  std::fclose(out);
  close(master);
  // 1000 fast updates: the first draw, the note (erase, note, redraw), the last step, the final
  // draw; a slow machine may add a redraw every 0.2 s.
  auto redraws = std::count(got.begin(), got.end(), '\r');
  EXPECT_GE(redraws, 4) << got;
  EXPECT_LE(redraws, 12) << got;
  EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), 2) << got;  // the note, the final newline
  EXPECT_NE(got.find("\r\033[Ka note\n"), std::string::npos) << got;
  EXPECT_NE(got.find("step 1000/1000 (100.0%)  loss 1.0000  50 images/s"), std::string::npos)
      << got;
  EXPECT_EQ(got.back(), '\n');
}

}  // namespace
}  // namespace lowbit
