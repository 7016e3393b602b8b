# R's forecast package on the peer bench windows, as an R user would call it.
#
# Usage: Rscript run_r.R SERIES.csv WINDOWS.csv OUT.csv [METHODS]
#   SERIES.csv  long series (set, series_id, date, y[, closed]) from series.py
#   WINDOWS.csv the windows to forecast (set, series_id, origin, h, ...) from protocol.windows_table
#   OUT.csv     forecasts: set, series_id, origin, date, method, mean, lo80, hi80, lo95, hi95, seconds, note
#   METHODS     comma-separated subset of ets,auto.arima,stlf,tbats (default: all four)
#
# Methods (training part y = every day up to the origin; h = 28; levels 80 and 95):
#   r_ets        forecast(ets(ts(y, frequency = 7)), h)
#   r_auto_arima forecast(auto.arima(ts(y, frequency = 7)), h)        (defaults: stepwise, approximation)
#   r_stlf       stlf(msts(y, seasonal.periods = c(7, 365.25)), h)    when y has >= 2 x 365.25 days,
#                stlf(ts(y, frequency = 7), h) otherwise              (ETS on the seasonally adjusted series)
#   r_tbats      forecast(tbats(msts(y, c(7, 365.25))), h) when y has >= 2 x 365.25 days,
#                forecast(tbats(ts(y, frequency = 7)), h) otherwise   (use.parallel = FALSE: one core)
# seconds = elapsed time of fit + forecast of one window. Nothing is clipped here: protocol.py clips.
# A fit that fails gives one row with NA forecasts and the error in note.

suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 3) stop("usage: Rscript run_r.R SERIES.csv WINDOWS.csv OUT.csv [METHODS]")
methods <- if (length(args) >= 4) strsplit(args[4], ",")[[1]] else c("ets", "auto.arima", "stlf", "tbats")
known <- c("ets", "auto.arima", "stlf", "tbats")
if (!all(methods %in% known)) stop(paste("unknown method(s):", paste(setdiff(methods, known), collapse = ", ")))

series <- read.csv(args[1], stringsAsFactors = FALSE, encoding = "UTF-8",
                   colClasses = c(set = "character", series_id = "character", date = "character"))
windows <- read.csv(args[2], stringsAsFactors = FALSE, encoding = "UTF-8",
                    colClasses = c(set = "character", series_id = "character", origin = "character"))
series$date <- as.Date(series$date)
out_file <- args[3]
cols <- c("set", "series_id", "origin", "date", "method", "mean", "lo80", "hi80", "lo95", "hi95", "seconds", "note")
write.table(as.data.frame(setNames(replicate(length(cols), character(0), simplify = FALSE), cols)),
            out_file, sep = ",", row.names = FALSE, fileEncoding = "UTF-8")

yearly_ok <- function(y) length(y) >= 2 * 365.25

fit_one <- function(method, y, h) {
  lv <- c(80, 95)
  fc <- switch(method,
    "ets" = forecast(ets(ts(y, frequency = 7)), h = h, level = lv),
    "auto.arima" = forecast(auto.arima(ts(y, frequency = 7)), h = h, level = lv),
    "stlf" = {
      x <- if (yearly_ok(y)) msts(y, seasonal.periods = c(7, 365.25)) else ts(y, frequency = 7)
      stlf(x, h = h, level = lv)
    },
    "tbats" = {
      x <- if (yearly_ok(y)) msts(y, seasonal.periods = c(7, 365.25)) else ts(y, frequency = 7)
      forecast(tbats(x, use.parallel = FALSE), h = h, level = lv)
    })
  note <- if (method %in% c("stlf", "tbats")) (if (yearly_ok(y)) "periods 7, 365.25" else "period 7") else ""
  list(df = data.frame(mean = as.numeric(fc$mean), lo80 = as.numeric(fc$lower[, 1]),
                       hi80 = as.numeric(fc$upper[, 1]), lo95 = as.numeric(fc$lower[, 2]),
                       hi95 = as.numeric(fc$upper[, 2])),
       note = paste(note, fc$method))
}

key <- paste(series$set, series$series_id, sep = "\r")
by_series <- split(series, key)
# BENCH_CLOCK=cpu (time_auto.py --clock cpu): CPU seconds of this process (user + system) instead of elapsed
clock <- if (Sys.getenv("BENCH_CLOCK") == "cpu") {
  function() sum(proc.time()[c("user.self", "sys.self")])
} else {
  function() proc.time()[["elapsed"]]
}
for (method in methods) {
  name <- paste0("r_", gsub(".", "_", method, fixed = TRUE))
  for (i in seq_len(nrow(windows))) {
    w <- windows[i, ]
    g <- by_series[[paste(w$set, w$series_id, sep = "\r")]]
    g <- g[order(g$date), ]
    origin <- as.Date(w$origin)
    y <- g$y[g$date <= origin]
    h <- as.integer(w$h)
    dates <- format(origin + seq_len(h))
    t0 <- clock()
    res <- tryCatch(fit_one(method, y, h), error = function(e) e)
    secs <- clock() - t0
    if (inherits(res, "error")) {
      df <- data.frame(mean = NA, lo80 = NA, hi80 = NA, lo95 = NA, hi95 = NA)[rep(1, h), ]
      note <- paste("failed:", substr(conditionMessage(res), 1, 200))
    } else {
      df <- res$df
      note <- res$note
    }
    row <- data.frame(set = w$set, series_id = w$series_id, origin = w$origin, date = dates, method = name, df,
                      seconds = round(secs, 4), note = trimws(note))
    write.table(row, out_file, sep = ",", row.names = FALSE, col.names = FALSE, append = TRUE,
                fileEncoding = "UTF-8")
    cat(sprintf("%s %s/%s @ %s: %.2fs %s\n", name, w$set, w$series_id, w$origin, secs, substr(trimws(note), 1, 60)))
    flush.console()
  }
}
