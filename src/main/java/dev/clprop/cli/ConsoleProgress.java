package dev.clprop.cli;

import dev.clprop.train.EpochSummary;
import dev.clprop.train.RunInfo;
import dev.clprop.train.TrainingListener;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Shows training progress: on a terminal a progress bar per epoch (samples/s, running loss, ETA);
 * otherwise plain lines, at most one every few seconds. Either way one summary line per epoch, and
 * each epoch goes to the run's output folder when there is one.
 */
final class ConsoleProgress implements TrainingListener {
    private static final long PLAIN_INTERVAL_MS = 5000;

    private final PrintWriter out;
    private final boolean terminal;
    private final RunOutputs outputs;
    private final String dataName;
    private ProgressBar bar;
    private int epochs;
    private long epochStart;
    private long lastPlain;
    /** Milliseconds; a test's clock in place of the wall clock. */
    private final LongSupplier clock;

    ConsoleProgress(PrintWriter out, boolean terminal, RunOutputs outputs, String dataName) {
        this(out, terminal, outputs, dataName, System::currentTimeMillis);
    }

    ConsoleProgress(PrintWriter out, boolean terminal, RunOutputs outputs, String dataName, LongSupplier clock) {
        this.out = out;
        this.terminal = terminal;
        this.outputs = outputs;
        this.dataName = dataName;
        this.clock = clock;
    }

    @Override
    public void onStart(RunInfo r) {
        out.printf(Locale.ROOT, "data: %s, %d training rows%s%n", dataName, r.trainingRows(),
                r.validationRows() > 0 ? ", " + r.validationRows() + " validation" : "");
        out.printf(Locale.ROOT, "model: %s (%,d parameters), loss %s, %s, batch %d, %d epochs, seed %d%s%n", r.architecture(),
                r.architecture().parameterCount(), r.loss(), r.optimizer().describe(), r.batchSize(), r.epochs(), r.seed(),
                r.firstEpoch() > 1 ? ", resuming at epoch " + r.firstEpoch() : "");
    }

    @Override
    public void onEpochStart(int epoch, int epochs, int samples) {
        this.epochs = epochs;
        epochStart = clock.getAsLong();
        lastPlain = epochStart;
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName(String.format("epoch %d/%d", epoch, epochs)).setInitialMax(samples)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUnit(" samples", 1).showSpeed()
                    .setUpdateIntervalMillis(200).setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        }
    }

    @Override
    public void onProgress(int epoch, int done, int samples, double runningLoss) {
        if (bar != null) {
            bar.stepTo(done);
            bar.setExtraMessage(String.format(Locale.ROOT, "  loss %.4f", runningLoss));
        } else if (clock.getAsLong() - lastPlain >= PLAIN_INTERVAL_MS) {
            lastPlain = clock.getAsLong();
            double secs = (lastPlain - epochStart) / 1e3;
            double rate = done / Math.max(secs, 1e-9);
            out.printf(Locale.ROOT, "  epoch %d/%d %5.1f%% %d/%d samples, loss %.4f, %.0f samples/s, ETA %.0fs%n", epoch, epochs,
                    100.0 * done / samples, done, samples, runningLoss, rate, (samples - done) / Math.max(rate, 1e-9));
        }
    }

    @Override
    public long progressIntervalMillis() {
        return terminal ? 250 : 1000;
    }

    @Override
    public void onEpochEnd(EpochSummary r) {
        if (bar != null) bar.stepTo(bar.getMax()); // the epoch is complete even if the last update came earlier
        closeBar();
        if (outputs != null) outputs.add(r);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d  train loss %.6f", r.epoch(), epochs, r.trainLoss()));
        if (!Double.isNaN(r.validationLoss())) sb.append(String.format(Locale.ROOT, "  val loss %.6f", r.validationLoss()));
        if (!Double.isNaN(r.validationAccuracy())) sb.append(String.format(Locale.ROOT, "  val acc %.2f%%", 100 * r.validationAccuracy()));
        sb.append(String.format(Locale.ROOT, "  lr %.3g  %.2fs  %.0f samples/s", r.learningRate(), r.seconds(), r.samplesPerSecond()));
        out.println(sb);
    }

    @Override
    public void onMessage(String line) {
        closeBar();
        out.println(line);
    }

    boolean barOpen() {
        return bar != null;
    }

    void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
