package dev.clprop.train;

import dev.clprop.UserError;
import dev.clprop.backend.Backend;
import dev.clprop.backend.Tolerance;
import dev.clprop.backend.reference.EjmlBackend;
import dev.clprop.data.DataSources;
import dev.clprop.data.Dataset;
import dev.clprop.model.ModelFile;
import dev.clprop.model.Npz;
import dev.clprop.model.Parameters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs epochs of minibatch training on one backend. The dataset is uploaded once; each epoch
 * uploads one permutation and then every step is gather, forward, backward, update on the device.
 * The loss is read back only at progress updates and at the end of an epoch.
 * The permutation of epoch e depends only on (seed, e), so a resumed run repeats an uninterrupted one.
 */
public final class Trainer {
    /** Receives progress; every method has a no-op default. */
    public interface Listener {
        default void epochStarted(int epoch, int epochs, int samples) {
        }

        /** Called about every {@link #progressIntervalMillis()} with the running mean batch loss. */
        default void progress(int epoch, int samplesDone, int samples, double runningLoss) {
        }

        default void epochFinished(EpochResult r) {
        }

        default void message(String line) {
        }

        default long progressIntervalMillis() {
            return 500;
        }
    }

    /** One epoch's summary. valLoss/valAccuracy are NaN without validation data. */
    public record EpochResult(int epoch, double trainLoss, double valLoss, double valAccuracy, double seconds, double samplesPerSecond) {
    }

    /** How a run ended. */
    public enum Outcome { COMPLETED, EARLY_STOPPED, INTERRUPTED, DIVERGED }

    public record Result(Parameters parameters, Outcome outcome, int epochsDone, String message) {
    }

    private final Backend backend;
    private final TrainingConfig cfg;
    private final Listener listener;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private Map<String, Npz.Entry> modelExtras = Map.of();

    public Trainer(Backend backend, TrainingConfig cfg, Listener listener) {
        this.backend = backend;
        this.cfg = cfg;
        this.listener = listener == null ? new Listener() { } : listener;
    }

    /** Entries every checkpoint carries besides weights and optimizer state (e.g. input standardization). */
    public void setModelExtras(Map<String, Npz.Entry> extras) {
        this.modelExtras = Map.copyOf(extras);
    }

    /** Asks the run to stop after the current step; it then writes a checkpoint and returns INTERRUPTED. */
    public void requestStop() {
        stopRequested.set(true);
    }

    /** The permutation of the rows for epoch e (1-based): seeded Fisher–Yates, or file order with --no-shuffle. */
    public static int[] epochOrder(int rows, long seed, int epoch, boolean shuffle) {
        return shuffle ? DataSources.permutation(rows, seed * 0x9E3779B97F4A7C15L + epoch) : DeviceData.identity(rows);
    }

    /** State to start from: initial parameters, and for a resumed run the checkpoint's optimizer state and epoch. */
    /**
     * State to start from. {@code rowsDone} &gt; 0 means epoch {@code epochsDone + 1} was interrupted after
     * that many rows of its (seed-determined) order; training continues from that row.
     */
    public record Start(Parameters parameters, Parameters state1, Parameters state2, int epochsDone, int step, int rowsDone) {
        public static Start fresh(Parameters p) {
            return new Start(p, null, null, 0, 0, 0);
        }
    }

    public Result train(Dataset train, Dataset validation, Start start) {
        if (train.features() != cfg.spec().inputs()) {
            throw new UserError(train.source() + ": has " + train.features() + " input columns but the network " + cfg.spec() + " takes " + cfg.spec().inputs());
        }
        if (train.outputs() != cfg.spec().outputs()) {
            throw new UserError(train.source() + ": has " + train.outputs() + " target columns but the network " + cfg.spec() + " has " + cfg.spec().outputs() + " outputs");
        }
        int batch = Math.min(cfg.batch(), train.rows());
        try (Network net = new Network(backend, cfg.spec(), cfg.loss(), cfg.optimizer(), batch);
             DeviceData data = new DeviceData(backend, train, batch);
             DeviceData valData = validation == null ? null : new DeviceData(backend, validation, batch);
             Lockstep lockstep = cfg.verifyEvery() > 0 ? new Lockstep(train, batch) : null) {
            net.setParameters(start.parameters());
            if (start.state1() != null) net.setOptimizerState(0, start.state1());
            if (start.state2() != null) net.setOptimizerState(1, start.state2());
            net.setStep(start.step());
            if (lockstep != null) lockstep.sync(net);

            double bestVal = Double.POSITIVE_INFINITY;
            int sinceBest = 0;
            Parameters best = null;
            int bestEpoch = 0;
            Parameters lastGood = start.parameters();
            int epoch = start.epochsDone();
            int firstRow = start.rowsDone();
            while (epoch < cfg.epochs()) {
                epoch++;
                long t0 = System.nanoTime();
                int[] order = epochOrder(train.rows(), cfg.seed(), epoch, cfg.shuffle());
                data.setOrder(order);
                if (lockstep != null) lockstep.data.setOrder(order);
                listener.epochStarted(epoch, cfg.epochs(), train.rows());
                double lossTotal = 0;
                int batches = 0;
                long lastReport = System.currentTimeMillis();
                boolean interrupted = false;
                int off = firstRow;
                firstRow = 0;
                for (; off < train.rows(); off += batch) {
                    int m = Math.min(batch, train.rows() - off);
                    data.gatherBatch(off, m);
                    net.trainStep(data.batchX, data.batchY, m);
                    batches++;
                    if (lockstep != null) lockstep.step(net, off, m);
                    long now = System.currentTimeMillis();
                    if (now - lastReport >= listener.progressIntervalMillis()) {
                        lossTotal += net.takeLossSum();
                        listener.progress(epoch, off + m, train.rows(), lossTotal / batches);
                        lastReport = now;
                        if (!Double.isFinite(lossTotal)) break;
                    }
                    // a stop on the epoch's last batch is handled after the epoch, as a finished one
                    if (stopRequested.get() && off + m < train.rows()) {
                        interrupted = true;
                        off += m;
                        break;
                    }
                }
                lossTotal += net.takeLossSum();
                double trainLoss = lossTotal / batches;
                if (!Double.isFinite(trainLoss)) {
                    String kept = cfg.checkpoint() != null && epoch > 1 ? "; kept the last good checkpoint " + cfg.checkpoint() + " (epoch " + (epoch - 1) + ")" : "";
                    return new Result(lastGood, Outcome.DIVERGED, epoch - 1,
                            "training diverged in epoch " + epoch + " (loss " + trainLoss + "); try a smaller --lr" + kept);
                }
                if (interrupted) {
                    Parameters now = net.parameters();
                    if (cfg.checkpoint() == null || !now.allFinite()) {
                        return new Result(lastGood, Outcome.INTERRUPTED, epoch - 1, "interrupted during epoch " + epoch
                                + (cfg.checkpoint() == null ? "; no checkpoint was asked for (--out DIR writes one)" : ""));
                    }
                    writeCheckpoint(cfg.checkpoint(), net, now, epoch - 1, off);
                    return new Result(now, Outcome.INTERRUPTED, epoch - 1, "interrupted in epoch " + epoch + " after " + off + " of "
                            + train.rows() + " rows; checkpoint written to " + cfg.checkpoint() + "; continue with --resume " + cfg.checkpoint());
                }
                Parameters params = net.parameters();
                if (!params.allFinite()) {
                    return new Result(lastGood, Outcome.DIVERGED, epoch - 1, "training diverged in epoch " + epoch + " (non-finite weights); try a smaller --lr");
                }
                double valLoss = Double.NaN, valAcc = Double.NaN;
                if (validation != null) {
                    Evaluation ev = Evaluation.of(validation, cfg.loss(), Evaluator.predict(net, valData));
                    valLoss = ev.loss();
                    valAcc = ev.accuracy();
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                listener.epochFinished(new EpochResult(epoch, trainLoss, valLoss, valAcc, secs, train.rows() / secs));
                lastGood = params;
                if (cfg.checkpoint() != null) writeCheckpoint(cfg.checkpoint(), net, params, epoch, 0);
                if (cfg.earlyStop() > 0 && validation != null) {
                    if (valLoss < bestVal) {
                        bestVal = valLoss;
                        sinceBest = 0;
                        best = params;
                        bestEpoch = epoch;
                    } else if (++sinceBest >= cfg.earlyStop()) {
                        return new Result(best, Outcome.EARLY_STOPPED, epoch, String.format(java.util.Locale.ROOT,
                                "stopped early after epoch %d: validation loss has not improved for %d epochs; kept the weights of epoch %d (validation loss %.6f)",
                                epoch, cfg.earlyStop(), bestEpoch, bestVal));
                    }
                }
                if (stopRequested.get()) {
                    return new Result(params, Outcome.INTERRUPTED, epoch, "interrupted after epoch " + epoch
                            + (cfg.checkpoint() != null ? "; checkpoint written to " + cfg.checkpoint() + "; continue with --resume " + cfg.checkpoint()
                            : "; no checkpoint was asked for (--out DIR writes one)"));
                }
            }
            return new Result(lastGood, Outcome.COMPLETED, epoch, null);
        }
    }

    static final String EPOCH = "clprop_epoch";
    static final String STEP = "clprop_step";
    static final String SEED = "clprop_seed";
    static final String ROWS_DONE = "clprop_rows_done";

    private void writeCheckpoint(Path file, Network net, Parameters params, int epoch, int rowsDone) {
        Map<String, Npz.Entry> extra = new LinkedHashMap<>(modelExtras);
        extra.put(EPOCH, Npz.Entry.of(new float[]{epoch}, 1));
        extra.put(STEP, Npz.Entry.of(new float[]{Float.intBitsToFloat(net.step())}, 1));
        extra.put(SEED, Npz.Entry.text(Long.toString(cfg.seed())));
        extra.put(ROWS_DONE, Npz.Entry.of(new float[]{Float.intBitsToFloat(rowsDone)}, 1));
        for (int k = 0; k < 2; k++) {
            Parameters s = net.optimizerState(k);
            if (s == null) continue;
            for (int l = 0; l < s.spec().depth(); l++) {
                extra.put("opt" + k + "_W" + (l + 1), Npz.Entry.of(s.weights(l), s.spec().layer(l).out(), s.spec().layer(l).in()));
                if (s.bias(l) != null) extra.put("opt" + k + "_b" + (l + 1), Npz.Entry.of(s.bias(l), s.spec().layer(l).out()));
            }
        }
        ModelFile.save(file, params, cfg.loss(), extra);
    }

    /** Reads a checkpoint written by a run with the same architecture. */
    public static Start readCheckpoint(Path file, TrainingConfig cfg) {
        ModelFile.Loaded loaded = ModelFile.load(file, cfg.spec());
        Map<String, Npz.Entry> e = loaded.entries();
        if (!e.containsKey(EPOCH) || !e.containsKey(STEP)) throw new UserError(file + ": not a clprop checkpoint (no epoch/step entries)");
        int epoch = (int) e.get(EPOCH).data()[0];
        int step = Float.floatToRawIntBits(e.get(STEP).data()[0]);
        int rowsDone = e.containsKey(ROWS_DONE) ? Float.floatToRawIntBits(e.get(ROWS_DONE).data()[0]) : 0;
        Npz.Entry seedEntry = e.get(SEED);
        if (seedEntry != null && seedEntry.text() != null && !seedEntry.text().equals(Long.toString(cfg.seed()))) {
            throw new UserError(file + ": was written with --seed " + seedEntry.text() + "; resume with the same seed (got " + cfg.seed() + ")");
        }
        Parameters[] states = new Parameters[2];
        for (int k = 0; k < cfg.optimizer().kind().stateTensors(); k++) {
            Parameters s = Parameters.zeros(cfg.spec());
            for (int l = 0; l < cfg.spec().depth(); l++) {
                Npz.Entry w = e.get("opt" + k + "_W" + (l + 1));
                if (w == null) throw new UserError(file + ": has no " + cfg.optimizer().kind() + " state; was it written with another --optimizer?");
                System.arraycopy(w.data(), 0, s.weights(l), 0, s.weights(l).length);
                if (s.bias(l) != null) System.arraycopy(e.get("opt" + k + "_b" + (l + 1)).data(), 0, s.bias(l), 0, s.bias(l).length);
            }
            states[k] = s;
        }
        return new Start(loaded.parameters(), states[0], states[1], epoch, step, rowsDone);
    }

    /**
     * The same steps on EJML beside the device, compared every N steps. After each comparison the
     * reference takes the device's state, so a report measures N steps of disagreement, not the
     * whole run's drift.
     */
    private final class Lockstep implements AutoCloseable {
        final EjmlBackend ref = new EjmlBackend();
        final Network refNet;
        final DeviceData data;
        int steps;

        Lockstep(Dataset train, int batch) {
            refNet = new Network(ref, cfg.spec(), cfg.loss(), cfg.optimizer(), batch);
            data = new DeviceData(ref, train, batch);
        }

        void sync(Network net) {
            refNet.setParameters(net.parameters());
            for (int k = 0; k < 2; k++) {
                Parameters s = net.optimizerState(k);
                if (s != null) refNet.setOptimizerState(k, s);
            }
            refNet.setStep(net.step());
        }

        void step(Network net, int off, int m) {
            data.gatherBatch(off, m);
            refNet.trainStep(data.batchX, data.batchY, m);
            refNet.takeLossSum();
            if (++steps % cfg.verifyEvery() != 0) return;
            Parameters dw = net.parameters(), rw = refNet.parameters();
            Parameters dg = net.gradients(), rg = refNet.gradients();
            boolean ok = true;
            StringBuilder sb = new StringBuilder("verify step " + net.step() + " vs ejml:");
            for (int l = 0; l < cfg.spec().depth(); l++) {
                Tolerance.Report w = Tolerance.TRAINING.compare(dw.weights(l), rw.weights(l));
                Tolerance.Report g = Tolerance.TRAINING.compare(dg.weights(l), rg.weights(l));
                ok &= w.ok() && g.ok();
                sb.append(String.format(" L%d W %.2e/%.2e dW %.2e/%.2e", l + 1, w.maxAbs(), w.maxRel(), g.maxAbs(), g.maxRel()));
                if (dw.bias(l) != null) {
                    Tolerance.Report b = Tolerance.TRAINING.compare(dw.bias(l), rw.bias(l));
                    Tolerance.Report gb = Tolerance.TRAINING.compare(dg.bias(l), rg.bias(l));
                    ok &= b.ok() && gb.ok();
                    sb.append(String.format(" b %.2e/%.2e db %.2e/%.2e", b.maxAbs(), b.maxRel(), gb.maxAbs(), gb.maxRel()));
                }
            }
            sb.append(" (max abs/max rel)");
            listener.message(sb.toString());
            if (!ok) {
                throw new UserError("lockstep verification failed: " + backend.name() + " and ejml disagree beyond tolerance (atol "
                        + Tolerance.TRAINING.atol() + ", rtol " + Tolerance.TRAINING.rtol() + "): " + sb);
            }
            sync(net);
        }

        @Override
        public void close() {
            data.close();
            refNet.close();
            ref.close();
        }
    }
}
