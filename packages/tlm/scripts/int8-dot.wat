;; int8 × int16 dot products for tlm's vector search (src/int8-dot.ts embeds the compiled bytes).
;; Rows are int8, packed `stride` (= dims) bytes apart; each is read as `span` bytes (dims rounded up
;; to 16), so a read runs into the next row (or the zeroed tail after the last one). The query is
;; int16, `span` lanes at $q, zero past dims: the bytes read past a row's end multiply by zero.
;; For each row i in [0, n): out[i] = Σ row[i][d] · q[d] (i32).
;; Compile: node scripts/compile-int8-dot.mjs (needs the `wabt` npm package).
(module
  (memory (export "memory") 1)
  (func (export "dots") (param $q i32) (param $rows i32) (param $n i32) (param $stride i32) (param $span i32) (param $out i32)
    (local $i i32) (local $d i32) (local $row i32) (local $acc v128) (local $v v128)
    (block $done
      (loop $each_row
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $d (i32.const 0))
        (loop $each_chunk
          (local.set $v (v128.load (i32.add (local.get $row) (i32.add (local.get $rows) (local.get $d)))))
          (local.set $acc
            (i32x4.add (local.get $acc)
              (i32x4.add
                (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v))
                                   (v128.load (i32.add (local.get $q) (i32.shl (local.get $d) (i32.const 1)))))
                (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v))
                                   (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $d) (i32.const 1))))))))
          (local.set $d (i32.add (local.get $d) (i32.const 16)))
          (br_if $each_chunk (i32.lt_u (local.get $d) (local.get $span))))
        (i32.store
          (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
        (local.set $row (i32.add (local.get $row) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each_row)))))
