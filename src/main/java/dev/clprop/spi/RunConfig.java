package dev.clprop.spi;

import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.DataSchema;
import dev.clprop.model.Standardizer;
import dev.clprop.optim.Optimizer;
import dev.clprop.optim.Schedule;
import dev.clprop.settings.TrainingSettings;

import java.nio.file.Path;
import java.util.Map;

/**
 * One run as a {@link StepRunner} and the training loop see it: the architecture, the run's
 * {@link TrainingSettings} (resolved for it: the loss is filled in), and what preparing the data decided.
 * Two runs with equal configs, data and backend end with bit-identical weights. Built with
 * {@link #builder}; the accessors below the components read the settings.
 *
 * @param checkpoint     where to write a checkpoint after every epoch (atomically), or null
 * @param standardizer   the input standardization the data was given, stored with the model; or null
 * @param checkpointKeys what a resumed run must repeat, by setting key, written into checkpoints
 * @param classWeights   the cross-entropy class weights in use (balanced ones computed from the rows), or null
 * @param schema         what the data's columns and classes are called, stored with the model and checkpoints
 * @param targetScaling  how regression targets were scaled for training ({@code (y − shift) / scale}), or null
 */
public record RunConfig(Architecture architecture, TrainingSettings settings, Path checkpoint, Standardizer standardizer,
                        Map<String, String> checkpointKeys, float[] classWeights, DataSchema schema, Standardizer targetScaling) {
    /** Resolves the settings for the architecture and copies what could change. */
    public RunConfig {
        if (architecture == null) throw new IllegalArgumentException("a run needs an architecture");
        settings = settings.resolvedFor(architecture);
        checkpointKeys = Map.copyOf(checkpointKeys);
        if (schema == null) schema = DataSchema.UNKNOWN;
        classWeights = classWeights == null ? null : classWeights.clone();
    }

    /**
     * A run of {@code architecture} with {@code settings}, without checkpoints, standardization, names or
     * class weights beyond the settings' own until set.
     *
     * @param architecture the network
     * @param settings     the training settings (for example a {@code Trainer}'s {@code settings()})
     * @return a builder
     */
    public static Builder builder(Architecture architecture, TrainingSettings settings) {
        return new Builder(architecture, settings);
    }

    /** @return the loss */
    public Loss loss() {
        return settings.loss();
    }

    /** @return the optimizer */
    public Optimizer optimizer() {
        return settings.optimizer();
    }

    /** @return rows per step */
    public int batch() {
        return settings.batchSize();
    }

    /** @return epochs of the run */
    public int epochs() {
        return settings.epochs();
    }

    /** @return the seed of every random choice */
    public long seed() {
        return settings.seed();
    }

    /** @return whether each epoch takes a new row order */
    public boolean shuffle() {
        return settings.shuffle();
    }

    /** @return verify every this many steps op by op against EJML (0: off) */
    public int verifyEvery() {
        return settings.verifyEvery();
    }

    /** @return early-stopping patience in epochs (0: off) */
    public int earlyStop() {
        return settings.earlyStopping();
    }

    /** @return the learning-rate schedule */
    public Schedule schedule() {
        return settings.schedule();
    }

    /** @return the global gradient norm to clip to (0: off) */
    public float clipNorm() {
        return settings.clipNorm();
    }

    /** A copy of the class weights in use, or null. */
    @Override
    public float[] classWeights() {
        return classWeights == null ? null : classWeights.clone();
    }

    /** Names the parts of a run; only the architecture and the settings are required. */
    public static final class Builder {
        private final Architecture architecture;
        private final TrainingSettings settings;
        private Path checkpoint;
        private Standardizer standardizer;
        private Map<String, String> checkpointKeys = Map.of();
        private float[] classWeights;
        private boolean classWeightsSet;
        private DataSchema schema = DataSchema.UNKNOWN;
        private Standardizer targetScaling;

        private Builder(Architecture architecture, TrainingSettings settings) {
            this.architecture = architecture;
            this.settings = settings;
        }

        /** @param file where checkpoints go, or null @return this */
        public Builder checkpoint(Path file) {
            this.checkpoint = file;
            return this;
        }

        /** @param s the inputs' standardization, or null @return this */
        public Builder standardizer(Standardizer s) {
            this.standardizer = s;
            return this;
        }

        /** @param keys what a resumed run must repeat @return this */
        public Builder checkpointKeys(Map<String, String> keys) {
            this.checkpointKeys = keys;
            return this;
        }

        /** @param weights the class weights in use (default: the settings' own) @return this */
        public Builder classWeights(float[] weights) {
            this.classWeights = weights;
            this.classWeightsSet = true;
            return this;
        }

        /** @param s the data's names @return this */
        public Builder schema(DataSchema s) {
            this.schema = s;
            return this;
        }

        /** @param s the targets' scaling, or null @return this */
        public Builder targetScaling(Standardizer s) {
            this.targetScaling = s;
            return this;
        }

        /** @return the run, checked */
        public RunConfig build() {
            return new RunConfig(architecture, settings, checkpoint, standardizer, checkpointKeys,
                    classWeightsSet ? classWeights : settings.classWeights(), schema, targetScaling);
        }
    }
}
