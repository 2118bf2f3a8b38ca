package dev.clprop.train;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.Standardizer;
import dev.clprop.optim.Optimizer;

import java.nio.file.Path;
import java.util.Map;

/**
 * Everything that determines a run's numbers, checked. Two runs with equal configs, data and
 * backend end with bit-identical weights.
 *
 * @param checkpoint where to write a checkpoint after every epoch (atomically), or null
 * @param verifyEvery verify every this many steps op by op against EJML ({@link Lockstep}); 0 = off
 * @param earlyStop stop when validation loss has not improved for this many epochs; 0 = off
 * @param standardizer the input standardization the data was given, stored with the model; or null
 * @param settings what a resumed run must repeat, by setting name, written into checkpoints
 */
public record RunConfig(Architecture architecture, Loss loss, Optimizer optimizer, int batch, int epochs, long seed,
                        boolean shuffle, Path checkpoint, int verifyEvery, int earlyStop, Standardizer standardizer,
                        Map<String, String> settings) {
    public RunConfig {
        if (batch <= 0) throw new InvalidSettingException("batchSize", "must be a positive integer, got " + batch);
        if (epochs <= 0) throw new InvalidSettingException("epochs", "must be a positive integer, got " + epochs);
        if (verifyEvery < 0) throw new InvalidSettingException("verifyEvery", "must be >= 0, got " + verifyEvery);
        if (earlyStop < 0) throw new InvalidSettingException("earlyStopping", "must be >= 0, got " + earlyStop);
        loss.checkOutput(architecture.outputActivation());
        settings = Map.copyOf(settings);
    }
}
