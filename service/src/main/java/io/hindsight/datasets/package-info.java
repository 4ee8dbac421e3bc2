/** Event-log files and adapters that turn public data and simulations into Hindsight event logs. */
package io.hindsight.datasets;
