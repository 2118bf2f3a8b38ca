package dev.clprop.train;

import dev.clprop.spi.RunConfig;

import dev.clprop.spi.DataParallelTiming;

import dev.clprop.spi.StepRunner;

import dev.clprop.data.Dataset;
import dev.clprop.data.Splits;
import dev.clprop.device.Backend;
import dev.clprop.error.TrainingInterruptedException;
import dev.clprop.io.ModelFormat;
import dev.clprop.metrics.Metrics;
import dev.clprop.model.Parameters;
import dev.clprop.optim.OptimizerState;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Epochs of minibatch training on one backend, or data-parallel on several. The dataset is uploaded
 * once; each epoch uploads one permutation, and then every step is gather, forward, backward, update
 * on the device (with several devices, the gradients are combined before the update). The loss is
 * read back only at progress updates and at the end of an epoch. The permutation of epoch e depends
 * only on (seed, e), so a resumed run repeats an uninterrupted one bit for bit.
 */
public final class TrainingLoop {
    /**
     * State to start from. {@code rowsDone} > 0 means epoch {@code epochsDone + 1} was interrupted after
     * that many rows of its order; training continues from that row. {@code optimizerState} is null
     * for a fresh start; {@code earlyStop} null when there is no early-stopping memory to continue.
     */
    public record Start(Parameters parameters, OptimizerState optimizerState, int epochsDone, long rowsDone,
                        ModelFormat.EarlyStopState earlyStop, double epochLossSum, int epochBatches) {
        /** A new run from parameters {@code p}. */
        public static Start fresh(Parameters p) {
            return new Start(p, null, 0, 0, null, 0, 0);
        }

        /** Where a checkpoint left its run. */
        public static Start from(ModelFormat.StoredCheckpoint c) {
            return new Start(c.model().parameters(), c.optimizer(), c.progress().epochsDone(), c.progress().rowsDone(), c.earlyStop(),
                    c.progress().epochLossSum(), c.progress().epochBatches());
        }
    }

    /** How the run ended, with the parameters it leaves (see {@link Outcome}) and every epoch's figures. */
    public record Result(Parameters parameters, Outcome outcome, int epochsDone, String message, List<EpochSummary> history) {
    }

    private final List<Backend> backends;
    private final RunConfig cfg;
    private final TrainingListener listener;
    private final Cancellation cancellation;

    /** A loop on one device. */
    public TrainingLoop(Backend backend, RunConfig cfg, TrainingListener listener, Cancellation cancellation) {
        this(List.of(backend), cfg, listener, cancellation);
    }

    /**
     * A loop over several devices trains data-parallel ({@link DataParallelRunner}): the same weights as
     * one device with the same global batch, within rounding.
     */
    public TrainingLoop(List<Backend> backends, RunConfig cfg, TrainingListener listener, Cancellation cancellation) {
        this.backends = List.copyOf(backends);
        this.cfg = cfg;
        this.listener = listener == null ? new TrainingListener() { } : listener;
        this.cancellation = cancellation == null ? new Cancellation() : cancellation;
    }

    private boolean stopAsked() {
        return cancellation.isCancelled() || Thread.currentThread().isInterrupted();
    }

    /** A loop for {@link #run(StepRunner, int, Dataset, Start)} only: the runner brings its devices (e.g. a cluster's). */
    public TrainingLoop(RunConfig cfg, TrainingListener listener, Cancellation cancellation) {
        this(List.of(), cfg, listener, cancellation);
    }

    /** Trains on {@code train} (and evaluates {@code validation} each epoch, when not null) from {@code start}. */
    public Result run(Dataset train, Dataset validation, Start start) {
        if (backends.isEmpty()) throw new IllegalStateException("this loop was made without devices; give it a StepRunner");
        int batch = Math.min(cfg.batch(), train.rows());
        try (StepRunner net = backends.size() == 1 ? new SingleDeviceRunner(backends.get(0), cfg, train, validation, batch)
                : new DataParallelRunner(backends, cfg, train, validation, batch)) {
            return run(net, train.rows(), validation, start);
        }
    }

    /**
     * Trains through {@code net}, which holds {@code trainRows} training rows wherever it keeps them, from
     * {@code start}; the caller closes the runner. Epochs, the row order, the schedule, checkpoints,
     * early stopping, cancellation and divergence are the loop's, whatever the runner.
     */
    public Result run(StepRunner net, int trainRows, Dataset validation, Start start) {
        int outputs = cfg.architecture().outputs();
        int batch = Math.min(cfg.batch(), trainRows);
        List<EpochSummary> history = new ArrayList<>();
        net.setParameters(start.parameters());
        if (start.optimizerState() != null) net.setOptimizerState(start.optimizerState());
        net.setClipNorm(cfg.clipNorm());
        net.setClassWeights(cfg.classWeights());
        float baseRate = cfg.optimizer().learningRate();
        float rate = baseRate;
        listener.onStart(new RunInfo(net.name(), cfg.architecture(), cfg.loss(), cfg.optimizer(), cfg.batch(), cfg.epochs(), cfg.seed(),
                trainRows, validation == null ? 0 : validation.rows(), start.epochsDone() + 1));

        ModelFormat.EarlyStopState best = start.earlyStop();
        Parameters lastGood = start.parameters();
        int epoch = start.epochsDone();
        long firstRow = start.rowsDone();
        while (epoch < cfg.epochs()) {
            epoch++;
            long t0 = System.nanoTime();
            net.setOrder(Splits.epochOrder(trainRows, cfg.seed(), epoch, cfg.shuffle()));
            listener.onEpochStart(epoch, cfg.epochs(), trainRows);
            // a resumed epoch goes on from the loss its first part had, so it reports what an uninterrupted one would
            double lossTotal = firstRow > 0 ? start.epochLossSum() : 0;
            int batches = firstRow > 0 ? start.epochBatches() : 0;
            long lastReport = System.currentTimeMillis();
            boolean stopped = false;
            int off = (int) firstRow;
            firstRow = 0;
            for (; off < trainRows; off += batch) {
                int m = Math.min(batch, trainRows - off);
                rate = cfg.schedule().learningRate(baseRate, epoch, cfg.epochs(), net.step() + 1);
                net.setLearningRate(rate);
                boolean verify = cfg.verifyEvery() > 0 && (net.step() + 1) % cfg.verifyEvery() == 0;
                if (verify) net.beginVerify();
                net.trainBatch(off, m);
                if (verify) listener.onMessage(net.endVerify("step " + net.step()));
                batches++;
                long now = System.currentTimeMillis();
                if (now - lastReport >= listener.progressIntervalMillis()) {
                    lossTotal += net.takeLossSum();
                    listener.onProgress(epoch, off + m, trainRows, lossTotal / batches);
                    lastReport = now;
                    if (!Double.isFinite(lossTotal)) break;
                }
                // a stop on the epoch's last batch is handled after the epoch, as a finished one
                if (stopAsked() && off + m < trainRows) {
                    stopped = true;
                    off += m;
                    break;
                }
            }
            lossTotal += net.takeLossSum();
            double trainLoss = lossTotal / batches;
            if (!Double.isFinite(trainLoss)) {
                return diverged(lastGood, epoch, "(loss " + trainLoss + ")", history);
            }
            if (stopped) {
                Parameters now = net.parameters();
                if (!now.allFinite()) return diverged(lastGood, epoch, "(non-finite weights)", history);
                String where = "in epoch " + epoch + " after " + off + " of " + trainRows + " rows";
                if (cfg.checkpoint() != null) writeCheckpoint(net, now, epoch - 1, off, best, lossTotal, batches);
                return stopped(now, epoch - 1, where, history);
            }
            Parameters params = net.parameters();
            if (!params.allFinite()) return diverged(lastGood, epoch, "(non-finite weights)", history);
            double valLoss = Double.NaN, valAcc = Double.NaN;
            if (validation != null) {
                Metrics ev = Metrics.of(validation, cfg.loss(), net.validationOutputs(), outputs);
                valLoss = ev.loss();
                valAcc = ev.accuracy();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            EpochSummary summary = new EpochSummary(epoch, trainLoss, valLoss, valAcc, secs, trainRows / secs, rate);
            history.add(summary);
            listener.onEpochEnd(summary);
            lastGood = params;
            boolean stopEarly = false;
            if (cfg.earlyStop() > 0 && validation != null) {
                if (best == null || valLoss < best.bestLoss()) best = new ModelFormat.EarlyStopState(epoch, valLoss, 0, params);
                else best = new ModelFormat.EarlyStopState(best.bestEpoch(), best.bestLoss(), best.sinceBest() + 1, best.best());
                stopEarly = best.sinceBest() >= cfg.earlyStop();
            }
            if (cfg.checkpoint() != null) writeCheckpoint(net, params, epoch, 0, best, 0, 0);
            if (stopEarly) {
                return new Result(best.best(), Outcome.EARLY_STOPPED, epoch, String.format(Locale.ROOT,
                        "stopped early after epoch %d: validation loss has not improved for %d epochs; kept the weights of epoch %d (validation loss %.6f)",
                        epoch, cfg.earlyStop(), best.bestEpoch(), best.bestLoss()), history);
            }
            if (stopAsked() && epoch < cfg.epochs()) return stopped(params, epoch, "after epoch " + epoch, history);
        }
        DataParallelTiming t = net.timing();
        if (t != null) {
            listener.onDataParallelTiming(t);
            listener.onMessage("data-parallel training on " + t.describe());
        }
        return new Result(lastGood, Outcome.COMPLETED, epoch, null, history);
    }

    private Result diverged(Parameters lastGood, int epoch, String why, List<EpochSummary> history) {
        String kept = cfg.checkpoint() != null && epoch > 1 ? "; kept the last good checkpoint " + cfg.checkpoint() + " (epoch " + (epoch - 1) + ")" : "";
        return new Result(lastGood, Outcome.DIVERGED, epoch - 1, "training diverged in epoch " + epoch + " " + why + "; try a smaller learning rate" + kept, history);
    }

    /** A cancelled run returns what it trained; an interrupted thread gets an exception (after the checkpoint). */
    private Result stopped(Parameters now, int epochsDone, String where, List<EpochSummary> history) {
        String msg = "stopped " + where + (cfg.checkpoint() != null ? "; checkpoint written to " + cfg.checkpoint() : "; no checkpoint file was configured");
        if (!cancellation.isCancelled() && Thread.currentThread().isInterrupted()) throw new TrainingInterruptedException("training interrupted: " + msg, cfg.checkpoint());
        return new Result(now, Outcome.CANCELLED, epochsDone, msg, history);
    }

    private void writeCheckpoint(StepRunner net, Parameters params, int epochsDone, long rowsDone, ModelFormat.EarlyStopState best,
                                 double epochLossSum, int epochBatches) {
        ModelFormat.writeCheckpoint(cfg.checkpoint(), new ModelFormat.StoredCheckpoint(
                new ModelFormat.StoredModel(params, cfg.loss(), cfg.standardizer(), cfg.schema(), cfg.targetScaling()), net.optimizerState(),
                new ModelFormat.Progress(epochsDone, net.step(), rowsDone, cfg.seed(), epochLossSum, epochBatches), cfg.checkpointKeys(), best));
    }
}
