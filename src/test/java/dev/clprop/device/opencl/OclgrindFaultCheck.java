package dev.clprop.device.opencl;

import dev.clprop.OpenClDevices;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;
import org.junit.jupiter.api.Test;

/**
 * The fault that proves the Oclgrind stage of scripts/test can fail: one kernel reads a float past the
 * end of its buffer. On a real driver that read goes unnoticed (and this test passes); under Oclgrind
 * it must leave an "Invalid read" diagnostic in OCLGRIND_LOG, which the script requires. Its name is
 * outside surefire's test patterns, so only that stage runs it ({@code -Dtest=OclgrindFaultCheck}).
 */
class OclgrindFaultCheck {
    static final String OUT_OF_BOUNDS = "__kernel void past_the_end(__global const float* a, __global float* c) { c[0] = a[4]; }";

    @Test
    void aReadPastTheEndOfABuffer() {
        try (ClContext ctx = new ClContext(OpenClDevices.device())) {
            cl_program program = CL.clCreateProgramWithSource(ctx.context, 1, new String[]{OUT_OF_BOUNDS}, null, null);
            cl_mem a = null, c = null;
            cl_kernel k = null;
            try {
                CL.clBuildProgram(program, 0, null, null, null, null);
                k = CL.clCreateKernel(program, "past_the_end", null);
                a = CL.clCreateBuffer(ctx.context, CL.CL_MEM_READ_WRITE, 4 * Sizeof.cl_float, null, null);
                c = CL.clCreateBuffer(ctx.context, CL.CL_MEM_READ_WRITE, Sizeof.cl_float, null, null);
                CL.clEnqueueFillBuffer(ctx.queue, a, ClContext.ZERO_PATTERN, Sizeof.cl_float, 0, 4 * Sizeof.cl_float, 0, null, null);
                CL.clSetKernelArg(k, 0, Sizeof.cl_mem, Pointer.to(a));
                CL.clSetKernelArg(k, 1, Sizeof.cl_mem, Pointer.to(c));
                CL.clEnqueueNDRangeKernel(ctx.queue, k, 1, null, new long[]{1}, null, 0, null, null);
                CL.clFinish(ctx.queue);
            } finally {
                if (c != null) CL.clReleaseMemObject(c);
                if (a != null) CL.clReleaseMemObject(a);
                if (k != null) CL.clReleaseKernel(k);
                CL.clReleaseProgram(program);
            }
        }
    }
}
