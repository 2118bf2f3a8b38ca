package dev.clprop.train;

import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;

/** What a run is about to do, given to {@link TrainingListener#onStart} before the first epoch. */
public record RunInfo(String device, Architecture architecture, Loss loss, Optimizer optimizer, int batchSize, int epochs, long seed,
                      int trainingRows, int validationRows, int firstEpoch) {
}
