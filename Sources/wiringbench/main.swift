runConvBench()
