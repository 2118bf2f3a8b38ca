package dev.clprop.spi;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.DataSchema;
import dev.clprop.model.Standardizer;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.Schedule;

import java.nio.file.Path;
import java.util.Map;

/**
 * Everything that determines a run's numbers, checked. Two runs with equal configs, data and
 * backend end with bit-identical weights.
 *
 * @param checkpoint where to write a checkpoint after every epoch (atomically), or null
 * @param verifyEvery verify every this many steps op by op against EJML (dev.clprop.train.Lockstep); 0 = off
 * @param earlyStop stop when validation loss has not improved for this many epochs; 0 = off
 * @param standardizer the input standardization the data was given, stored with the model; or null
 * @param settings what a resumed run must repeat, by setting name, written into checkpoints
 * @param schedule how the learning rate changes over the run
 * @param clipNorm clip gradients to this global L2 norm before each update; 0 = off
 * @param classWeights cross-entropy class weights, or null
 * @param schema what the data's columns and classes are called, stored with the model and checkpoints
 * @param targetScaling how regression targets were scaled for training ({@code (y − shift) / scale}), stored
 *                      with the model and checkpoints; or null
 */
public record RunConfig(Architecture architecture, Loss loss, Optimizer optimizer, int batch, int epochs, long seed,
                        boolean shuffle, Path checkpoint, int verifyEvery, int earlyStop, Standardizer standardizer,
                        Map<String, String> settings, Schedule schedule, float clipNorm, float[] classWeights,
                        DataSchema schema, Standardizer targetScaling) {
    /** A run whose regression targets, if any, are not scaled. */
    public RunConfig(Architecture architecture, Loss loss, Optimizer optimizer, int batch, int epochs, long seed,
                     boolean shuffle, Path checkpoint, int verifyEvery, int earlyStop, Standardizer standardizer,
                     Map<String, String> settings, Schedule schedule, float clipNorm, float[] classWeights, DataSchema schema) {
        this(architecture, loss, optimizer, batch, epochs, seed, shuffle, checkpoint, verifyEvery, earlyStop, standardizer, settings,
                schedule, clipNorm, classWeights, schema, null);
    }

    /** A run with a constant learning rate, no clipping and no class weights. */
    public RunConfig(Architecture architecture, Loss loss, Optimizer optimizer, int batch, int epochs, long seed, boolean shuffle,
                     Path checkpoint, int verifyEvery, int earlyStop, Standardizer standardizer, Map<String, String> settings) {
        this(architecture, loss, optimizer, batch, epochs, seed, shuffle, checkpoint, verifyEvery, earlyStop, standardizer, settings,
                Schedule.CONSTANT, 0f, null, DataSchema.UNKNOWN);
    }

    public RunConfig {
        if (schedule == null) schedule = Schedule.CONSTANT;
        if (schema == null) schema = DataSchema.UNKNOWN;
        if (!(clipNorm >= 0) || !Float.isFinite(clipNorm)) throw new InvalidSettingException("clipNorm", "must be a number >= 0, got " + clipNorm);
        if (batch <= 0) throw new InvalidSettingException("batchSize", "must be a positive integer, got " + batch);
        if (epochs <= 0) throw new InvalidSettingException("epochs", "must be a positive integer, got " + epochs);
        if (verifyEvery < 0) throw new InvalidSettingException("verifyEvery", "must be >= 0, got " + verifyEvery);
        if (earlyStop < 0) throw new InvalidSettingException("earlyStopping", "must be >= 0, got " + earlyStop);
        loss.checkOutput(architecture.outputActivation());
        settings = Map.copyOf(settings);
    }
}
