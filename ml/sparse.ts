/** Compressed sparse rows: row i's features are indices[indptr[i]..indptr[i+1]). */
export interface CsrMatrix {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

/** Appends rows one at a time into growable typed arrays. */
export class CsrBuilder {
  private indptr: number[] = [0];
  private indices = new Int32Array(1024);
  private values = new Float32Array(1024);
  private nnz = 0;

  constructor(private readonly cols: number) {}

  addRow(indices: ArrayLike<number>, values: ArrayLike<number>, length: number): void {
    if (this.nnz + length > this.indices.length) {
      let capacity = this.indices.length * 2;
      while (capacity < this.nnz + length) capacity *= 2;
      const ni = new Int32Array(capacity);
      ni.set(this.indices.subarray(0, this.nnz));
      const nv = new Float32Array(capacity);
      nv.set(this.values.subarray(0, this.nnz));
      this.indices = ni;
      this.values = nv;
    }
    for (let i = 0; i < length; i++) {
      this.indices[this.nnz + i] = indices[i];
      this.values[this.nnz + i] = values[i];
    }
    this.nnz += length;
    this.indptr.push(this.nnz);
  }

  build(): CsrMatrix {
    return {
      rows: this.indptr.length - 1,
      cols: this.cols,
      indptr: Int32Array.from(this.indptr),
      indices: this.indices.slice(0, this.nnz),
      values: this.values.slice(0, this.nnz),
    };
  }
}

export function selectRows(m: CsrMatrix, rows: ArrayLike<number>): CsrMatrix {
  const b = new CsrBuilder(m.cols);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    const start = m.indptr[i];
    const end = m.indptr[i + 1];
    b.addRow(m.indices.subarray(start, end), m.values.subarray(start, end), end - start);
  }
  return b.build();
}
