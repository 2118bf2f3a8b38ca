package dev.clprop.train;

import dev.clprop.UserError;
import dev.clprop.model.Loss;
import dev.clprop.model.NetworkSpec;
import dev.clprop.model.Optimizer;

import java.nio.file.Path;

/**
 * Everything that determines a training run's numbers. Two runs with equal configs, data and
 * backend end with bit-identical weights.
 *
 * @param checkpoint where to write a checkpoint after every epoch (atomically), or null
 * @param verifyEvery run EJML in lockstep and compare every this many steps; 0 = off
 * @param earlyStop stop when validation loss has not improved for this many epochs; 0 = off
 */
public record TrainingConfig(NetworkSpec spec, Loss loss, Optimizer optimizer, int batch, int epochs, long seed,
                             boolean shuffle, Path checkpoint, int verifyEvery, int earlyStop) {
    public TrainingConfig {
        if (batch <= 0) throw new UserError("--batch must be a positive integer, got " + batch);
        if (epochs <= 0) throw new UserError("--epochs must be a positive integer, got " + epochs);
        if (verifyEvery < 0) throw new UserError("--verify-every must be >= 0, got " + verifyEvery);
        if (earlyStop < 0) throw new UserError("--early-stop must be >= 0, got " + earlyStop);
        loss.checkOutput(spec.outputActivation());
    }
}
