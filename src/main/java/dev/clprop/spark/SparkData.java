package dev.clprop.spark;

import dev.clprop.error.InvalidInputException;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.model.Activation;
import dev.clprop.model.Architecture;
import dev.clprop.model.DataSchema;
import dev.clprop.spi.DistributedData;
import dev.clprop.spi.RunConfig;
import dev.clprop.spi.StepRunner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * A Spark {@code Dataset<Row>} as training data for {@link dev.clprop.Trainer#fit(DistributedData)}:
 * <pre>{@code
 * Dataset<Row> df = spark.read().parquet("hdfs://.../train.parquet");   // columns: features (array<float>), label (int)
 * TrainingResult r = trainer.fit(SparkData.of(df, "features", "label").executorDevice("auto"));
 * r.model().save(Path.of("model.npz"));
 * }</pre>
 * Features come from one {@code array<float|double>} column (for an ML {@code Vector} column, use
 * {@code org.apache.spark.ml.functions.vector_to_array}) or from several numeric columns. For a softmax
 * output the label column holds class indices 0..outputs−1; otherwise it holds the target (one output)
 * or an array of targets. Rows keep the Dataset's order, numbered by {@code zipWithIndex}: the run
 * equals a local run on the rows collected in that order. Each partition's rows are cached on its
 * executor for the run (and released after it).
 * <p>Each step is one Spark job (see {@link SparkRunner}). Executors train on {@code executorDevice}:
 * {@code cpu} (EJML, the default), {@code auto} (the GPU Spark's resource scheduling assigned the task,
 * as {@code opencl:ADDRESS}, else as on one machine), or any choice {@link dev.clprop.Device#open} takes.
 */
public final class SparkData implements DistributedData {
    /** The Spark version clprop is built and tested against (3.5.x, Scala 2.12). */
    public static final String SPARK_VERSION = "3.5.9";

    private final Dataset<Row> df;
    private final List<String> featureColumns;
    private final String labelColumn;
    private String executorDevice = "cpu";
    private String driverDevice = "cpu";
    private int treeDepth = 2;
    private int syncEvery = 1;
    private Summary summary;
    private DataSchema schema = DataSchema.UNKNOWN;
    private boolean truncateLineage;
    /** Rows this process handed to Spark ({@link #parallelize}), one slice per partition, read without boxing each value; else null. */
    private JavaRDD<Slice> slices;

    private SparkData(Dataset<Row> df, List<String> featureColumns, String labelColumn) {
        if (df == null) throw new InvalidInputException("no Spark Dataset was given");
        for (String c : featureColumns) column(df, c);
        column(df, labelColumn);
        this.df = df;
        this.featureColumns = List.copyOf(featureColumns);
        this.labelColumn = labelColumn;
    }

    private static void column(Dataset<Row> df, String c) {
        if (!List.of(df.columns()).contains(c)) {
            throw new InvalidInputException("the Spark Dataset has no column '" + c + "' (it has " + String.join(", ", df.columns()) + ")");
        }
    }

    /** Features from one array column. */
    public static SparkData of(Dataset<Row> df, String featuresColumn, String labelColumn) {
        return new SparkData(df, List.of(featuresColumn), labelColumn);
    }

    /** Features from several numeric columns, in this order. */
    public static SparkData of(Dataset<Row> df, List<String> featureColumns, String labelColumn) {
        if (featureColumns.isEmpty()) throw new InvalidSettingException("featureColumns", "must name at least one column");
        return new SparkData(df, featureColumns, labelColumn);
    }

    /**
     * Rows held by this process, handed to Spark in {@code partitions} partitions in their order (an
     * array column {@code features}, and {@code label}: the class index, or an array of targets).
     */
    public static SparkData parallelize(org.apache.spark.sql.SparkSession spark, dev.clprop.data.Dataset d, int partitions) {
        if (partitions < 1) throw new InvalidSettingException("partitions", "must be a positive integer, got " + partitions);
        int f = d.featureCount(), n = d.isClassification() ? 1 : d.targetCount();
        float[] x = d.featureMatrix();
        float[] t = d.isClassification() ? null : d.targetMatrix(n);
        List<Slice> slices = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            int lo = (int) ((long) d.rows() * p / partitions), hi = (int) ((long) d.rows() * (p + 1) / partitions);
            float[] y = new float[(hi - lo) * n];
            for (int r = lo; r < hi; r++) {
                if (t == null) y[r - lo] = d.label(r);
                else System.arraycopy(t, r * n, y, (r - lo) * n, n);
            }
            slices.add(new Slice(java.util.Arrays.copyOfRange(x, lo * f, hi * f), y, f, n, t == null, lo));
        }
        var floats = org.apache.spark.sql.types.DataTypes.createArrayType(org.apache.spark.sql.types.DataTypes.FloatType);
        var schema = new org.apache.spark.sql.types.StructType().add("features", floats, false)
                .add("label", t == null ? org.apache.spark.sql.types.DataTypes.IntegerType : floats, false);
        var sc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext());
        // each slice travels as a broadcast (fetched by its executor in chunks), not inside its task: a task of
        // MNIST's half (94 MB) never reached a standalone cluster's executor
        List<org.apache.spark.broadcast.Broadcast<Slice>> shipped = new ArrayList<>();
        for (Slice sl : slices) shipped.add(sc.broadcast(sl));
        List<Integer> indices = new ArrayList<>();
        for (int p = 0; p < partitions; p++) indices.add(p);
        JavaRDD<Slice> parts = sc.parallelize(indices, partitions).map(p -> shipped.get(p).value());
        SparkData data = of(spark.createDataFrame(parts.flatMap(Slice::rows), schema), "features", "label");
        // training reads the slices' arrays directly: as Rows, MNIST's 47 million boxed floats filled a 1 GiB executor
        data.slices = parts;
        data.schema = d.schema();
        // once the blocks are cached, cut them loose from the broadcasts they were read from, so no step reads those again
        data.truncateLineage = true;
        return data;
    }

    /** One partition's worth of local rows, in primitive arrays (rows are made on the executor). */
    private record Slice(float[] x, float[] y, int features, int targets, boolean classes, long firstRow) implements java.io.Serializable {
        /** The slice as a {@link Block}, as {@link RowReader#block} reads rows (classify as there). */
        Block block(int partition, int inputs, int outputs, int classify) {
            int n = x.length / features;
            String problem = null;
            float[] bx = x, by = new float[0];
            int[] labels = new int[classify < 0 ? 0 : n];
            if (inputs >= 0 && features != inputs) problem = "row " + firstRow + ": " + features + " features, but the network takes " + inputs;
            else if (classify == 1) {
                if (!classes) {
                    problem = "row " + firstRow + ": class label " + java.util.Arrays.toString(java.util.Arrays.copyOf(y, targets)) + " is not one of 0.." + (outputs - 1);
                } else {
                    by = new float[n * outputs];
                    for (int r = 0; r < n && problem == null; r++) {
                        int c = (int) y[r];
                        if (c != y[r] || c < 0 || c >= outputs) {
                            problem = "row " + (firstRow + r) + ": class label " + y[r] + " is not one of 0.." + (outputs - 1) + " (the output layer has " + outputs + " units)";
                        } else {
                            by[r * outputs + c] = 1f;
                            labels[r] = c;
                        }
                    }
                }
            } else if (classify == 0) {
                if (classes || targets != outputs) problem = "row " + firstRow + ": " + (classes ? 1 : targets) + " target(s), but the network has " + outputs + " outputs";
                else by = y;
            } else {
                // only count and checksum: features and label(s) of each row, as RowReader reads them
                int per = classes ? 1 : targets;
                bx = new float[n * (features + per)];
                for (int r = 0; r < n; r++) {
                    System.arraycopy(x, r * features, bx, r * (features + per), features);
                    System.arraycopy(y, r * per, bx, r * (features + per) + features, per);
                }
            }
            return new Block(partition, firstRow, n, bx, by, labels, problem);
        }

        Iterator<Row> rows() {
            int n = x.length / features;
            List<Row> out = new ArrayList<>(n);
            for (int r = 0; r < n; r++) {
                Float[] fx = new Float[features];
                for (int c = 0; c < features; c++) fx[c] = x[r * features + c];
                if (classes) {
                    out.add(org.apache.spark.sql.RowFactory.create(fx, (int) y[r]));
                } else {
                    Float[] ft = new Float[targets];
                    for (int c = 0; c < targets; c++) ft[c] = y[r * targets + c];
                    out.add(org.apache.spark.sql.RowFactory.create(fx, ft));
                }
            }
            return out.iterator();
        }
    }

    /** What executors train on (default {@code cpu}); see the class comment. */
    public SparkData executorDevice(String choice) {
        executorDevice = choice == null ? "cpu" : choice.trim().toLowerCase(Locale.ROOT);
        return this;
    }

    /** Where the driver applies each step's update (default {@code cpu}: EJML). */
    public SparkData driverDevice(String choice) {
        driverDevice = choice == null ? "cpu" : choice.trim().toLowerCase(Locale.ROOT);
        return this;
    }

    /**
     * Averaging mode (local SGD, as DL4J's parameter averaging) when {@code k > 1}: each partition makes
     * k optimizer steps on its own rows of k consecutive batches (and a round also ends with each epoch),
     * then the driver averages the partitions' weights and optimizer state, weighted by their rows, and
     * broadcasts them: one Spark job per k steps instead of one per step. Batch size, epochs, shuffling,
     * the schedule (each step's rate) and clipping (of each local step) keep their meaning per step; what
     * k trades is the exactness of k = 1 (the default, where a run on Spark is one machine's run) for k
     * times fewer jobs, the partitions drifting apart within a round.
     */
    public SparkData syncEvery(int k) {
        if (k < 1) throw new InvalidSettingException("sparkSync", "must be a positive number of steps, got " + k);
        syncEvery = k;
        return this;
    }

    /** Depth of Spark's {@code treeAggregate} of the partitions' gradients (default 2). */
    public SparkData treeDepth(int depth) {
        if (depth < 1) throw new InvalidSettingException("treeDepth", "must be >= 1, got " + depth);
        treeDepth = depth;
        return this;
    }

    /** The partitions' sizes and checksums, computed once (one Spark job) and checked. */
    private record Summary(int rows, int partitions, String fingerprint) {
    }

    private Summary summary() {
        if (summary != null) return summary;
        List<Block.Summary> parts = new ArrayList<>(blocks(null, -1).map(Block::summary).collect());
        parts.sort(Comparator.comparingInt(Block.Summary::partition));
        long rows = 0;
        CRC32C crc = new CRC32C();
        for (Block.Summary p : parts) {
            rows += p.rows();
            crc.update(Long.toString(p.crc()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        if (rows > Integer.MAX_VALUE - 8) throw new InvalidInputException(name0() + ": " + rows + " rows; clprop trains on at most " + (Integer.MAX_VALUE - 8));
        summary = new Summary((int) rows, parts.size(), String.format(Locale.ROOT, "%d rows in %d partitions, crc %08x", rows, parts.size(), crc.getValue()));
        return summary;
    }

    private String name0() {
        return "spark " + df.sparkSession().sparkContext().master();
    }

    @Override
    public String name() {
        return name0() + ": " + rows() + " rows in " + summary().partitions() + " partitions";
    }

    @Override
    public int rows() {
        return summary().rows();
    }

    @Override
    public DataSchema schema() {
        return schema;
    }

    @Override
    public String fingerprint() {
        return summary().fingerprint();
    }

    @Override
    public StepRunner runner(RunConfig cfg, java.util.function.Consumer<String> messages) {
        return runner(cfg, null, messages);
    }

    /** One Spark job over the rows as the network reads them: per-feature sums and squares, per-class counts. */
    private Block.Statistics statistics(Architecture arch) {
        int classify = arch.outputActivation() == Activation.SOFTMAX ? 1 : 0, f = arch.inputs(), n = arch.outputs();
        String name = name0(); // not this, which stays on the driver
        try {
            return blocks(arch, classify).map(b -> {
                if (b.problem() != null) throw new InvalidInputException(name + ": partition " + b.partition() + ": " + b.problem());
                return Block.Statistics.of(b, f, n);
            }).reduce(Block.Statistics::add);
        } catch (dev.clprop.error.ClpropException e) {
            throw e;
        } catch (Exception e) {
            Throwable t = e;
            while (t.getCause() != null && t.getCause() != t) t = t.getCause();
            if (t instanceof InvalidInputException i) throw i;
            throw new dev.clprop.error.DeviceException("the Spark job computing the rows' statistics failed: " + t.getMessage(), e);
        }
    }

    /** Population mean and deviation per feature, as {@link dev.clprop.model.Standardizer#fit} computes them, from sums over the cluster. */
    @Override
    public dev.clprop.model.Standardizer featureStandardizer(Architecture arch) {
        Block.Statistics s = statistics(arch);
        int f = arch.inputs(), rows = rows();
        float[] shift = new float[f], scale = new float[f];
        for (int c = 0; c < f; c++) {
            double mean = s.sum()[c] / rows;
            double var = Math.max(0, s.squares()[c] / rows - mean * mean);
            shift[c] = (float) mean;
            scale[c] = var > 1e-12 ? (float) Math.sqrt(var) : 1f;
        }
        return new dev.clprop.model.Standardizer(shift, scale);
    }

    @Override
    public int[] classCounts(Architecture arch) {
        if (arch.outputActivation() != Activation.SOFTMAX) {
            throw new InvalidSettingException("classWeights", "need class labels; a network without a softmax output trains on targets");
        }
        long[] k = statistics(arch).classes();
        int[] out = new int[k.length];
        for (int i = 0; i < k.length; i++) out[i] = Math.toIntExact(k[i]);
        return out;
    }

    /** The runner, the validation rows evaluated on the driver's device at the end of each epoch. */
    @Override
    public StepRunner runner(RunConfig cfg, float[] validation, java.util.function.Consumer<String> messages) {
        Architecture arch = cfg.architecture();
        JavaRDD<Block> read = blocks(arch, arch.outputActivation() == Activation.SOFTMAX ? 1 : 0);
        if (cfg.standardizer() != null) {
            float[] shift = cfg.standardizer().shift(), scale = cfg.standardizer().scale();
            read = read.map(b -> b.problem() != null ? b : b.standardized(shift, scale));
        }
        JavaRDD<Block> blocks = read.persist(StorageLevel.MEMORY_AND_DISK());
        if (truncateLineage) blocks.rdd().localCheckpoint();
        try {
            List<Block.Summary> parts = new ArrayList<>(blocks.map(Block::summary).collect());
            parts.sort(Comparator.comparingInt(Block.Summary::partition));
            int largest = 0;
            for (Block.Summary p : parts) {
                if (p.problem() != null) throw new InvalidInputException(name0() + ": partition " + p.partition() + ": " + p.problem());
                if (p.rows() == 0) {
                    throw new InvalidInputException(name0() + ": partition " + p.partition() + " of " + parts.size()
                            + " has no rows; repartition the data (Dataset.repartition(n)) so that every partition has some");
                }
                largest = Math.max(largest, p.rows());
            }
            messages.accept("data: " + name() + ", executors on " + executorDevice + ", updates on the driver (" + driverDevice + ")");
            return new SparkRunner(blocks, parts.size(), cfg, executorDevice, driverDevice, Math.min(cfg.batch(), largest), treeDepth, name0(), messages, syncEvery, validation);
        } catch (RuntimeException e) {
            blocks.unpersist(false);
            throw e;
        }
    }

    /**
     * The rows as one {@link Block} per partition. {@code classify} 1: labels are class indices, one-hot
     * encoded over the architecture's outputs; 0: targets; −1: only count and checksum (no architecture).
     */
    private JavaRDD<Block> blocks(Architecture arch, int classify) {
        int inputs = arch == null ? -1 : arch.inputs(), outputs = arch == null ? -1 : arch.outputs();
        List<String> features = featureColumns;
        String label = labelColumn;
        List<String> cols = new ArrayList<>(features);
        cols.add(label);
        if (slices != null) {
            return slices.mapPartitionsWithIndex((idx, it) -> {
                List<Block> out = new ArrayList<>();
                while (it.hasNext()) out.add(it.next().block(idx, inputs, outputs, classify));
                return out.iterator();
            }, true);
        }
        Dataset<Row> sel = df.selectExpr(cols.stream().map(c -> "`" + c.replace("`", "``") + "`").toArray(String[]::new));
        return sel.javaRDD().zipWithIndex().mapPartitionsWithIndex(
                (idx, it) -> List.of(RowReader.block(idx, it, features.size(), inputs, outputs, classify)).iterator(), true);
    }

    /** Reads a partition's rows into a {@link Block}, recording the first problem instead of failing the task. */
    static final class RowReader {
        private RowReader() {
        }

        static Block block(int partition, Iterator<Tuple2<Row, Long>> it, int featureColumns, int inputs, int outputs, int classify) {
            FloatList x = new FloatList(), y = new FloatList();
            List<Integer> labels = new ArrayList<>();
            long first = -1;
            int rows = 0;
            String problem = null;
            while (it.hasNext()) {
                Tuple2<Row, Long> t = it.next();
                Row r = t._1();
                if (first < 0) first = t._2();
                rows++;
                if (problem != null) continue;
                try {
                    int before = x.size;
                    if (featureColumns == 1 && r.get(0) instanceof scala.collection.Seq<?> || featureColumns == 1 && r.get(0) instanceof List<?>) {
                        for (Object v : r.getList(0)) x.add(number(v, "feature"));
                    } else {
                        for (int c = 0; c < featureColumns; c++) x.add(number(r.get(c), "feature column " + c));
                    }
                    if (inputs >= 0 && x.size - before != inputs) {
                        throw new IllegalArgumentException((x.size - before) + " features, but the network takes " + inputs);
                    }
                    Object lv = r.get(featureColumns);
                    if (classify == 1) {
                        float v = number(lv, "label");
                        int c = (int) v;
                        if (c != v || c < 0 || c >= outputs) {
                            throw new IllegalArgumentException("class label " + lv + " is not one of 0.." + (outputs - 1) + " (the output layer has " + outputs + " units)");
                        }
                        for (int k = 0; k < outputs; k++) y.add(k == c ? 1f : 0f);
                        labels.add(c);
                    } else if (classify == 0) {
                        int n = 0;
                        if (lv instanceof List<?> || lv instanceof scala.collection.Seq<?>) {
                            for (Object v : r.getList(featureColumns)) {
                                y.add(number(v, "target"));
                                n++;
                            }
                        } else {
                            y.add(number(lv, "target"));
                            n = 1;
                        }
                        if (n != outputs) throw new IllegalArgumentException(n + " target(s), but the network has " + outputs + " outputs");
                        labels.add(0);
                    } else {
                        x.add(number(lv, "label"));
                    }
                } catch (RuntimeException e) {
                    problem = "row " + t._2() + ": " + e.getMessage();
                }
            }
            int[] l = new int[labels.size()];
            for (int i = 0; i < l.length; i++) l[i] = labels.get(i);
            return new Block(partition, Math.max(first, 0), rows, x.toArray(), y.toArray(), l, problem);
        }

        private static float number(Object v, String what) {
            if (!(v instanceof Number n)) throw new IllegalArgumentException(what + " " + v + " is not a number");
            float f = n.floatValue();
            if (!Float.isFinite(f)) throw new IllegalArgumentException(what + " " + v + " is not finite");
            return f;
        }
    }

    /** A growable float array (rows arrive one at a time). */
    private static final class FloatList {
        float[] a = new float[256];
        int size;

        void add(float v) {
            if (size == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
            a[size++] = v;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(a, size);
        }
    }
}
