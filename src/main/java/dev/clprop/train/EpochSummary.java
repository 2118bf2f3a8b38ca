package dev.clprop.train;

/**
 * One epoch's figures. {@code trainLoss} is the mean of the epoch's batch losses; the validation
 * figures are NaN without validation data (accuracy also for regression); {@code learningRate} is
 * the rate of the epoch's last step.
 */
public record EpochSummary(int epoch, double trainLoss, double validationLoss, double validationAccuracy, double seconds,
                           double samplesPerSecond, double learningRate) {
}
