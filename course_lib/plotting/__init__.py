"""course_lib.plotting: the course's pictures.

* ``images``: grids of digits and the files they become (``plot_image_grid``, ``plot_digits_per_class``,
  ``plot_image_rows``, ``tile_images``, ``save_png``, ``write_gif``, ``finish_figure``);
* ``diagrams``: schematic diagrams drawn with matplotlib, nothing downloaded: broadcasting and views versus
  copies (Week 1), a perceptron (Week 1), a multilayer perceptron and backpropagation (Week 2), convolution and
  pooling (Week 3), transposed convolution and the GAN loop (Week 4), and GAN-CLS's three pairs (final project).
"""
from course_lib.plotting.diagrams import (
    draw_broadcasting,
    draw_convolution_and_pooling,
    draw_gan_cls_pairs,
    draw_gan_loop,
    draw_mlp,
    draw_perceptron,
    draw_transposed_convolution,
    draw_view_vs_copy,
)
from course_lib.plotting.images import (
    finish_figure,
    plot_digits_per_class,
    plot_image_grid,
    plot_image_rows,
    save_png,
    tile_images,
    write_gif,
)

__all__ = [
    "draw_broadcasting", "draw_convolution_and_pooling", "draw_gan_cls_pairs", "draw_gan_loop", "draw_mlp",
    "draw_perceptron", "draw_transposed_convolution", "draw_view_vs_copy",
    "finish_figure", "plot_digits_per_class", "plot_image_grid", "plot_image_rows", "save_png", "tile_images",
    "write_gif",
]
