package dev.clprop.spark;

import java.io.Serializable;

/**
 * What partitions send back for one step, summed by Spark: Σ w·g over partitions (per parameter, in
 * double), Σ w, Σ w·loss ({@link dev.clprop.train.ShardWeights}), and the slowest partition's compute
 * time. Adding is commutative; in double, the order Spark adds in changes the result only below float
 * precision.
 */
final class Contribution implements Serializable {
    double[][] gradient;
    double weight;
    double loss;
    long slowestNanos;
    /** The devices the partitions computed on, by name (which executor JVMs really ran OpenCL). */
    java.util.TreeSet<String> devices = new java.util.TreeSet<>();

    static Contribution empty() {
        return new Contribution();
    }

    /** Adds {@code o} into this one and returns it (Spark lets aggregation reuse its first argument). */
    Contribution add(Contribution o) {
        if (o.gradient != null) {
            if (gradient == null) {
                gradient = new double[o.gradient.length][];
                for (int p = 0; p < gradient.length; p++) gradient[p] = o.gradient[p].clone();
            } else {
                for (int p = 0; p < gradient.length; p++) {
                    double[] a = gradient[p], b = o.gradient[p];
                    for (int i = 0; i < a.length; i++) a[i] += b[i];
                }
            }
        }
        weight += o.weight;
        loss += o.loss;
        slowestNanos = Math.max(slowestNanos, o.slowestNanos);
        if (o.devices != null) devices.addAll(o.devices);
        return this;
    }
}
