"""Software prefetch of the rows an epoch will visit next.

Rows visited in shuffled order miss the cache on every row, in ``X`` and in the
targets and weights alike: asking for them a few samples ahead hides most of
that latency.
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._jit import njit

CACHE_LINE_BYTES = 64
ROWS_AHEAD = 8


@intrinsic
def _prefetch_address(typingctx, address):
    """``llvm.prefetch`` for reading, high locality, data cache; a hint only."""
    signature = types.void(types.intp)

    def codegen(context, builder, sig, args):
        byte_pointer = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        function_type = ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32])
        prefetch = builder.module.declare_intrinsic("llvm.prefetch", fnty=function_type)
        pointer = builder.inttoptr(args[0], byte_pointer)
        read, keep_in_all_caches, data_cache = (ir.Constant(int32, v) for v in (0, 3, 1))
        builder.call(prefetch, [pointer, read, keep_in_all_caches, data_cache])
        return context.get_dummy_value()

    return signature, codegen


@njit(cache=True, inline="always")
def prefetch_row(array, i):
    """Ask the CPU to start loading row ``i`` of a C-contiguous 1-D or 2-D array."""
    row_bytes = array.strides[0]
    start = array.ctypes.data + i * row_bytes
    for offset in range(0, row_bytes, CACHE_LINE_BYTES):
        _prefetch_address(start + offset)
