/**
 * Training on an Apache Spark cluster: {@link dev.clprop.spark.SparkData} turns a {@code Dataset<Row>}
 * into {@link dev.clprop.spi.DistributedData} for {@link dev.clprop.Trainer#fit(dev.clprop.spi.DistributedData)}.
 * Each optimizer step is one Spark job: every partition computes the gradient of its rows of the
 * step's batch on its executor's device, Spark sums them ({@code treeAggregate}), and the driver applies
 * the one update. Spark is a provided dependency: the cluster (or spark-submit) supplies it.
 */
package dev.clprop.spark;
