package dev.clprop.device.opencl;

import dev.clprop.device.IndexBuffer;
import dev.clprop.device.Tensor;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_mem;

/** A device buffer of rows×cols 4-byte elements (floats, or ints as an {@link IndexBuffer}), zero-filled. */
final class ClTensor implements Tensor, IndexBuffer {
    final cl_mem mem;
    final int rows;
    final int cols;
    private final OpenClBackend owner;
    private boolean closed;

    ClTensor(OpenClBackend owner, ClContext ctx, int rows, int cols) {
        this.owner = owner;
        this.rows = rows;
        this.cols = cols;
        long bytes = 4L * Math.max(1, (long) rows * cols);
        mem = CL.clCreateBuffer(ctx.context, CL.CL_MEM_READ_WRITE, bytes, null, null);
        owner.live++;
        try {
            CL.clEnqueueFillBuffer(ctx.queue, mem, Pointer.to(new float[]{0f}), Sizeof.cl_float, 0, bytes, 0, null, null);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public int length() {
        return rows * cols;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            CL.clReleaseMemObject(mem);
            owner.live--;
        }
    }
}
