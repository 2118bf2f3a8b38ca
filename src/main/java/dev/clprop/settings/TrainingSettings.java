package dev.clprop.settings;

import dev.clprop.error.InvalidSettingException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.Schedule;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that decides a training run's numbers besides the architecture, the data and the initial
 * weights: one typed, validated record. {@code Trainer.Builder} edits one, the command line takes its
 * defaults from {@link #DEFAULTS}, and checkpoints record it under {@link Setting} keys
 * ({@link #checkpointKeys}), so the list of settings is written here once. Immutable; each
 * {@code withX} returns a checked copy, and a bad value is an {@link InvalidSettingException} naming
 * the setting.
 *
 * @param loss                 the loss, or null for the default of the output layer ({@link Loss#defaultFor})
 * @param optimizer            the optimizer and its learning rate, momentum, weight decay and Adam's constants
 * @param batchSize            rows per step; an epoch's last batch may be smaller
 * @param epochs               passes over the training rows
 * @param seed                 seeds initial weights, the validation split, the batch order and dropout
 * @param shuffle              a new row order each epoch (else data order)
 * @param validationSplit      share of the training rows held out for validation, in [0, 1)
 * @param earlyStopping        stop after this many epochs without a better validation loss (0: off)
 * @param standardize          inputs to zero mean and unit variance, fitted on the training rows
 * @param standardizeTargets   regression targets to zero mean and unit variance for training
 * @param schedule             how the learning rate changes over the run
 * @param clipNorm             global L2 norm the gradients are clipped to (0: off)
 * @param classWeights         cross-entropy weight per class, or null
 * @param balancedClassWeights weights n / (C·count_c) from the training rows (then classWeights is null)
 * @param verifyEvery          every this many steps, each op checked against EJML (0: off)
 */
public record TrainingSettings(Loss loss, Optimizer optimizer, int batchSize, int epochs, long seed, boolean shuffle,
                               double validationSplit, int earlyStopping, boolean standardize, boolean standardizeTargets,
                               Schedule schedule, float clipNorm, float[] classWeights, boolean balancedClassWeights,
                               int verifyEvery) {
    /** The defaults of the library and of the command line alike: Adam at 0.001, batch 32, 15 epochs, seed 42, shuffled. */
    public static final TrainingSettings DEFAULTS = new TrainingSettings(null, Optimizer.adam(0.001f), 32, 15, 42, true, 0, 0, false, false,
            Schedule.CONSTANT, 0f, null, false, 0);

    /** Checks every value that can be checked without the architecture. */
    public TrainingSettings {
        if (optimizer == null) throw new InvalidSettingException(Setting.OPTIMIZER.key(), "must be given");
        if (batchSize <= 0) throw new InvalidSettingException(Setting.BATCH_SIZE.key(), "must be a positive integer, got " + batchSize);
        if (epochs <= 0) throw new InvalidSettingException(Setting.EPOCHS.key(), "must be a positive integer, got " + epochs);
        if (!(validationSplit >= 0 && validationSplit < 1)) {
            throw new InvalidSettingException(Setting.VALIDATION_SPLIT.key(), "must be in [0, 1), got " + validationSplit);
        }
        if (earlyStopping < 0) throw new InvalidSettingException(Setting.EARLY_STOPPING.key(), "must be >= 0, got " + earlyStopping);
        if (verifyEvery < 0) throw new InvalidSettingException(Setting.VERIFY_EVERY.key(), "must be >= 0, got " + verifyEvery);
        if (schedule == null) schedule = Schedule.CONSTANT;
        if (!(clipNorm >= 0) || !Float.isFinite(clipNorm)) throw new InvalidSettingException(Setting.CLIP_NORM.key(), "must be a number >= 0, got " + clipNorm);
        if (classWeights != null) {
            boolean positive = false;
            for (float w : classWeights) {
                if (!(w >= 0) || !Float.isFinite(w)) throw new InvalidSettingException(Setting.CLASS_WEIGHTS.key(), "must be numbers >= 0, got " + w);
                positive |= w > 0;
            }
            if (!positive) throw new InvalidSettingException(Setting.CLASS_WEIGHTS.key(), "must not all be 0");
            if (balancedClassWeights) throw new InvalidSettingException(Setting.CLASS_WEIGHTS.key(), "are either given or balanced, not both");
            classWeights = classWeights.clone();
        }
    }

    /** @return a copy of the class weights, or null */
    @Override
    public float[] classWeights() {
        return classWeights == null ? null : classWeights.clone();
    }

    /**
     * These settings for {@code architecture}: the loss filled in where it was left to the default, and
     * what only the architecture can tell checked (the loss against the output layer, one class weight per
     * output, class weights with cross-entropy only).
     *
     * @param architecture the network to train
     * @return the settings with their loss
     */
    public TrainingSettings resolvedFor(Architecture architecture) {
        Loss l = loss != null ? loss : Loss.defaultFor(architecture.outputActivation());
        l.checkOutput(architecture.outputActivation());
        if ((classWeights != null || balancedClassWeights) && l != Loss.CROSS_ENTROPY) {
            throw new InvalidSettingException(Setting.CLASS_WEIGHTS.key(), "apply to cross-entropy only, not " + l);
        }
        if (classWeights != null && classWeights.length != architecture.outputs()) {
            throw new InvalidSettingException(Setting.CLASS_WEIGHTS.key(), "has " + classWeights.length + " weights for " + architecture.outputs() + " classes");
        }
        return withLoss(l);
    }

    /**
     * What a resumed run must repeat, by {@link Setting#key()}, as a checkpoint records it.
     *
     * @param architecture    the network
     * @param validation      how validation rows were chosen: "none", the split, or "given: " and their fingerprint
     * @param weights         the class weights the run used (balanced ones computed), or null
     * @param trainingData    the training rows' fingerprint
     * @return the keys and their values, in a fixed order
     */
    public Map<String, String> checkpointKeys(Architecture architecture, String validation, float[] weights, String trainingData) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(Setting.ARCHITECTURE.key(), architecture.spelling());
        s.put(Setting.LOSS.key(), loss.spelling());
        s.put(Setting.OPTIMIZER.key(), optimizer.kind().spelling());
        s.put(Setting.LEARNING_RATE.key(), Float.toString(optimizer.learningRate()));
        s.put(Setting.MOMENTUM.key(), Float.toString(optimizer.momentum()));
        s.put(Setting.BETA1.key(), Float.toString(optimizer.beta1()));
        s.put(Setting.BETA2.key(), Float.toString(optimizer.beta2()));
        s.put(Setting.EPSILON.key(), Float.toString(optimizer.epsilon()));
        s.put(Setting.WEIGHT_DECAY.key(), Float.toString(optimizer.weightDecay()));
        s.put(Setting.BATCH_SIZE.key(), Integer.toString(batchSize));
        s.put(Setting.SHUFFLE.key(), Boolean.toString(shuffle));
        s.put(Setting.VALIDATION_SPLIT.key(), validation);
        s.put(Setting.STANDARDIZE.key(), Boolean.toString(standardize));
        s.put(Setting.EARLY_STOPPING.key(), Integer.toString(earlyStopping));
        s.put(Setting.SCHEDULE.key(), schedule.spelling());
        s.put(Setting.CLIP_NORM.key(), Float.toString(clipNorm));
        s.put(Setting.CLASS_WEIGHTS.key(), weights == null ? "none" : Arrays.toString(weights));
        s.put(Setting.TRAINING_DATA.key(), trainingData);
        s.put(Setting.STANDARDIZE_TARGETS.key(), Boolean.toString(standardizeTargets));
        return s;
    }

    /** @param v the loss, or null for the output layer's default @return a copy with it */
    public TrainingSettings withLoss(Loss v) {
        return new TrainingSettings(v, optimizer, batchSize, epochs, seed, shuffle, validationSplit, earlyStopping, standardize, standardizeTargets,
                schedule, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v the optimizer @return a copy with it */
    public TrainingSettings withOptimizer(Optimizer v) {
        return new TrainingSettings(loss, v, batchSize, epochs, seed, shuffle, validationSplit, earlyStopping, standardize, standardizeTargets,
                schedule, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v rows per step @return a copy with it */
    public TrainingSettings withBatchSize(int v) {
        return new TrainingSettings(loss, optimizer, v, epochs, seed, shuffle, validationSplit, earlyStopping, standardize, standardizeTargets,
                schedule, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v passes over the data @return a copy with it */
    public TrainingSettings withEpochs(int v) {
        return new TrainingSettings(loss, optimizer, batchSize, v, seed, shuffle, validationSplit, earlyStopping, standardize, standardizeTargets,
                schedule, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v the seed @return a copy with it */
    public TrainingSettings withSeed(long v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, v, shuffle, validationSplit, earlyStopping, standardize, standardizeTargets,
                schedule, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v whether each epoch takes a new row order @return a copy with it */
    public TrainingSettings withShuffle(boolean v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, seed, v, validationSplit, earlyStopping, standardize, standardizeTargets,
                schedule, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v share held out for validation @return a copy with it */
    public TrainingSettings withValidationSplit(double v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, seed, shuffle, v, earlyStopping, standardize, standardizeTargets,
                schedule, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v patience in epochs (0: off) @return a copy with it */
    public TrainingSettings withEarlyStopping(int v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, seed, shuffle, validationSplit, v, standardize, standardizeTargets,
                schedule, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v whether inputs are standardized @return a copy with it */
    public TrainingSettings withStandardize(boolean v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, seed, shuffle, validationSplit, earlyStopping, v, standardizeTargets,
                schedule, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v whether regression targets are scaled for training @return a copy with it */
    public TrainingSettings withStandardizeTargets(boolean v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, seed, shuffle, validationSplit, earlyStopping, standardize, v,
                schedule, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v the learning-rate schedule (null: constant) @return a copy with it */
    public TrainingSettings withSchedule(Schedule v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, seed, shuffle, validationSplit, earlyStopping, standardize, standardizeTargets,
                v, clipNorm, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v the global norm to clip to (0: off) @return a copy with it */
    public TrainingSettings withClipNorm(float v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, seed, shuffle, validationSplit, earlyStopping, standardize, standardizeTargets,
                schedule, v, classWeights, balancedClassWeights, verifyEvery);
    }

    /** @param v one weight per class (null: none) @return a copy with them, balanced weights off */
    public TrainingSettings withClassWeights(float[] v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, seed, shuffle, validationSplit, earlyStopping, standardize, standardizeTargets,
                schedule, clipNorm, v, false, verifyEvery);
    }

    /** @param v whether class weights are balanced from the training rows @return a copy with it, given weights dropped */
    public TrainingSettings withBalancedClassWeights(boolean v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, seed, shuffle, validationSplit, earlyStopping, standardize, standardizeTargets,
                schedule, clipNorm, v ? null : classWeights, v, verifyEvery);
    }

    /** @param v verify every this many steps (0: off) @return a copy with it */
    public TrainingSettings withVerifyEvery(int v) {
        return new TrainingSettings(loss, optimizer, batchSize, epochs, seed, shuffle, validationSplit, earlyStopping, standardize, standardizeTargets,
                schedule, clipNorm, classWeights, balancedClassWeights, v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainingSettings t && java.util.Objects.equals(loss, t.loss) && optimizer.equals(t.optimizer) && batchSize == t.batchSize
                && epochs == t.epochs && seed == t.seed && shuffle == t.shuffle && validationSplit == t.validationSplit
                && earlyStopping == t.earlyStopping && standardize == t.standardize && standardizeTargets == t.standardizeTargets
                && schedule.equals(t.schedule) && clipNorm == t.clipNorm && Arrays.equals(classWeights, t.classWeights)
                && balancedClassWeights == t.balancedClassWeights && verifyEvery == t.verifyEvery;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(loss, optimizer, batchSize, epochs, seed, shuffle, validationSplit, earlyStopping, standardize,
                standardizeTargets, schedule, clipNorm, Arrays.hashCode(classWeights), balancedClassWeights, verifyEvery);
    }
}
