package dev.clprop.cli;

import dev.clprop.train.Trainer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintWriter;
import java.util.function.Consumer;
import java.util.Locale;

/**
 * Shows training progress: on a terminal a progress bar per epoch (samples/s, running loss, ETA);
 * otherwise plain lines, at most one every few seconds. Either way one summary line per epoch.
 */
final class ConsoleProgress implements Trainer.Listener {
    private static final long PLAIN_INTERVAL_MS = 5000;

    private final PrintWriter out;
    private final boolean terminal;
    private final Consumer<Trainer.EpochResult> onEpoch;
    private ProgressBar bar;
    private int epochs;
    private long epochStart;
    private long lastPlain;

    /** @param onEpoch also receives every epoch's result (e.g. to write metrics files) */
    ConsoleProgress(PrintWriter out, boolean terminal, Consumer<Trainer.EpochResult> onEpoch) {
        this.out = out;
        this.terminal = terminal;
        this.onEpoch = onEpoch;
    }

    @Override
    public void epochStarted(int epoch, int epochs, int samples) {
        this.epochs = epochs;
        epochStart = System.nanoTime();
        lastPlain = System.currentTimeMillis();
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName(String.format("epoch %d/%d", epoch, epochs)).setInitialMax(samples)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUnit(" samples", 1).showSpeed()
                    .setUpdateIntervalMillis(200).setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        }
    }

    @Override
    public void progress(int epoch, int done, int samples, double runningLoss) {
        if (bar != null) {
            bar.stepTo(done);
            bar.setExtraMessage(String.format(Locale.ROOT, "  loss %.4f", runningLoss));
        } else if (System.currentTimeMillis() - lastPlain >= PLAIN_INTERVAL_MS) {
            lastPlain = System.currentTimeMillis();
            double secs = (System.nanoTime() - epochStart) / 1e9;
            double rate = done / Math.max(secs, 1e-9);
            out.printf(Locale.ROOT, "  epoch %d/%d %5.1f%% %d/%d samples, loss %.4f, %.0f samples/s, ETA %.0fs%n", epoch, epochs,
                    100.0 * done / samples, done, samples, runningLoss, rate, (samples - done) / Math.max(rate, 1e-9));
            out.flush();
        }
    }

    @Override
    public long progressIntervalMillis() {
        return terminal ? 250 : 1000;
    }

    @Override
    public void epochFinished(Trainer.EpochResult r) {
        if (bar != null) bar.stepTo(bar.getMax()); // the epoch is complete even if the last update came earlier
        closeBar();
        onEpoch.accept(r);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d  train loss %.6f", r.epoch(), epochs, r.trainLoss()));
        if (!Double.isNaN(r.valLoss())) sb.append(String.format(Locale.ROOT, "  val loss %.6f", r.valLoss()));
        if (!Double.isNaN(r.valAccuracy())) sb.append(String.format(Locale.ROOT, "  val acc %.2f%%", 100 * r.valAccuracy()));
        sb.append(String.format(Locale.ROOT, "  %.2fs  %.0f samples/s", r.seconds(), r.samplesPerSecond()));
        out.println(sb);
        out.flush();
    }

    @Override
    public void message(String line) {
        closeBar();
        out.println(line);
        out.flush();
    }

    void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
