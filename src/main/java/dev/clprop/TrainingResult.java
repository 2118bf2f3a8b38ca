package dev.clprop;

import dev.clprop.train.EpochSummary;
import dev.clprop.train.Outcome;

import java.util.List;

/**
 * How a training run ended. {@code model} is what it leaves: the final weights, the best epoch's
 * when stopped early, the last good epoch's when it diverged, or what was trained so far when
 * cancelled. {@code epochs} counts the epochs completed; {@code message} explains any ending other
 * than {@link Outcome#COMPLETED} (null then); {@code history} holds every epoch's figures of this run.
 */
public record TrainingResult(Model model, Outcome outcome, int epochs, String message, List<EpochSummary> history) {
    /** Keeps an unmodifiable copy of the history. */
    public TrainingResult {
        history = List.copyOf(history);
    }
}
