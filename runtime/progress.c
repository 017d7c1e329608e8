//===- progress.c - Text progress bar for training loops ------------------===//
//
// The caller supplies every timestamp, so the output is a pure function of
// the calls and can be tested without sleeping.
//
//===----------------------------------------------------------------------===//

#include "nnc_internal.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

/// Characters between the brackets of the bar.
#define NNC_BAR_WIDTH 20

/// Minimum seconds between two redraws on a terminal: redrawing after every
/// step of a fast model would spend more time in the terminal than training.
#define NNC_REDRAW_INTERVAL 0.1

double nnc_now(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0.0;
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/// Formats a duration as M:SS or H:MM:SS ("?" when unknown or absurd).
static void format_duration(char *buf, size_t len, double seconds) {
  if (!(seconds >= 0.0) || seconds > 1e9) {
    snprintf(buf, len, "?");
    return;
  }
  long long s = (long long)(seconds + 0.5);
  if (s >= 3600)
    snprintf(buf, len, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    snprintf(buf, len, "%lld:%02lld", s / 60, s % 60);
}

/// Formats the bar line (without '\r' or newline). `final` replaces the ETA
/// with the time the epoch took.
static void format_line(const nnc_progress *p, double now, int final,
                        char *line, size_t len) {
  char bar[NNC_BAR_WIDTH + 1];
  size_t filled = NNC_BAR_WIDTH;
  if (p->steps > 0 && p->step < p->steps)
    filled = (size_t)((double)p->step / (double)p->steps * NNC_BAR_WIDTH);
  for (size_t i = 0; i < NNC_BAR_WIDTH; ++i)
    bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
  bar[NNC_BAR_WIDTH] = '\0';

  char loss[32];
  if (p->loss_count > 0 && isnan(p->loss_avg))
    snprintf(loss, sizeof(loss), "nan"); // printf may say "-nan".
  else if (p->loss_count > 0)
    snprintf(loss, sizeof(loss), "%.4f", p->loss_avg);
  else
    snprintf(loss, sizeof(loss), "-");

  double elapsed = now - p->start;
  char rate[32];
  if (p->step > 0 && elapsed > 0.0)
    snprintf(rate, sizeof(rate), "%.0f",
             (double)p->step * (double)p->examples_per_step / elapsed);
  else
    snprintf(rate, sizeof(rate), "-");

  char when[32];
  if (final) {
    format_duration(when, sizeof(when), elapsed);
  } else {
    double eta = -1.0;
    if (p->step > 0 && p->step <= p->steps)
      eta = elapsed / (double)p->step * (double)(p->steps - p->step);
    format_duration(when, sizeof(when), eta);
  }

  snprintf(line, len, "epoch %d/%d [%s] %zu/%zu loss %s %s ex/s %s %s",
           p->epoch, p->epochs, bar, p->step, p->steps, loss, rate,
           final ? "time" : "ETA", when);
}

/// Writes the current line: in place on a terminal ("\x1b[K" clears what a
/// longer previous line left behind), as a line of its own otherwise.
static void print_line(nnc_progress *p, double now, int final) {
  char line[256];
  format_line(p, now, final, line, sizeof(line));
  if (p->interactive)
    fprintf(p->out, "\r%s\x1b[K%s", line, final ? "\n" : "");
  else
    fprintf(p->out, "%s\n", line);
  fflush(p->out);
  p->last_print = now;
}

void nnc_progress_begin(nnc_progress *p, FILE *out, int epoch, int epochs,
                        size_t steps, size_t examples_per_step, double now) {
  if (!p)
    return;
  memset(p, 0, sizeof(*p));
  p->out = out;
  p->interactive = out && isatty(fileno(out));
  p->epoch = epoch;
  p->epochs = epochs;
  p->steps = steps;
  p->examples_per_step = examples_per_step;
  p->start = now;
  p->last_print = now;
  if (p->out && p->interactive)
    print_line(p, now, 0);
}

void nnc_progress_step(nnc_progress *p, float loss, double now) {
  if (!p)
    return;
  ++p->step;
  // A running mean, so a NaN loss shows up (as "nan") instead of vanishing.
  ++p->loss_count;
  p->loss_avg += ((double)loss - p->loss_avg) / (double)p->loss_count;
  if (!p->out)
    return;
  if (p->interactive) {
    if (p->step >= p->steps || now - p->last_print >= NNC_REDRAW_INTERVAL)
      print_line(p, now, 0);
    return;
  }
  // In a log, print when the step crosses into the next tenth of the epoch;
  // the last step is left to nnc_progress_end, which prints the summary.
  if (p->steps > 0 && p->step < p->steps &&
      (p->step * 10) / p->steps != ((p->step - 1) * 10) / p->steps)
    print_line(p, now, 0);
}

void nnc_progress_end(nnc_progress *p, double now) {
  if (!p || !p->out)
    return;
  print_line(p, now, 1);
}
